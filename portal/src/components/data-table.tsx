/**
 * DataTable: a table of rows with one column definition each (header, cell, classes), the
 * first column as the row header, a caption for screen readers, and the scrolling wrapper.
 * `narrow: true` hides a column on phone widths (class hide-narrow).
 */
import type { ComponentChildren } from 'preact';

export interface Column<R> {
  header: string;
  cell: (row: R) => ComponentChildren;
  narrow?: boolean;
}

export function DataTable<R>({ caption, columns, rows, rowKey }: { caption: string; columns: Column<R>[]; rows: R[]; rowKey: (row: R) => string }) {
  const cls = (c: Column<R>) => (c.narrow ? 'hide-narrow' : undefined);
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" class={cls(c)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c, i) =>
                i === 0 ? (
                  <th key={c.header} scope="row" class={cls(c)}>
                    {c.cell(row)}
                  </th>
                ) : (
                  <td key={c.header} class={cls(c)}>
                    {c.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
