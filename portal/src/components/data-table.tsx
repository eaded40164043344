/**
 * DataTable: a table of rows with one column definition each (header, cell, classes), the
 * first column as the row header, a caption for screen readers, and the scrolling wrapper.
 * `narrow: true` hides a column on phone widths (class hide-narrow); `class` goes on the
 * column's header and cells alike (e.g. `num` right-aligns numbers), `cellClass` on its cells
 only; `title` is a cell's
 * tooltip (the exact time behind "3 hours ago"); `hideHeader` keeps a header for screen readers
 * only (a column of buttons).
 */
import type { ComponentChildren } from 'preact';

export interface Column<R> {
  header: string;
  cell: (row: R) => ComponentChildren;
  narrow?: boolean;
  class?: string;
  cellClass?: string;
  title?: (row: R) => string | undefined;
  hideHeader?: boolean;
}

export function DataTable<R>({
  caption,
  columns,
  rows,
  rowKey,
  tableClass,
}: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  /** Unique per row; the index is there for rows without an identity of their own. */
  rowKey: (row: R, index: number) => string;
  tableClass?: string;
}) {
  const cls = (c: Column<R>, cell = false) => [c.class, cell ? c.cellClass : undefined, c.narrow ? 'hide-narrow' : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div class="table-wrap">
      <table class={tableClass}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" class={cls(c)}>
                {c.hideHeader ? <span class="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)}>
              {columns.map((c, i) =>
                i === 0 ? (
                  <th key={c.header} scope="row" class={cls(c, true)} title={c.title?.(row)}>
                    {c.cell(row)}
                  </th>
                ) : (
                  <td key={c.header} class={cls(c, true)} title={c.title?.(row)}>
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
