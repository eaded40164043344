/** A small SVG bar chart of time-to-verdict (no library; the CSP forbids inline styles, so classes only). */
import { duration } from '../format.ts';

export interface VerdictTiming {
  label: string;
  ms: number;
  failed: boolean;
}

export function TimeToVerdictChart({ data }: { data: VerdictTiming[] }) {
  const width = 480;
  const height = 160;
  const pad = { left: 8, right: 8, top: 22, bottom: 22 };
  const max = Math.max(...data.map((d) => d.ms), 1);
  const sorted = [...data].map((d) => d.ms).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
  const slot = (width - pad.left - pad.right) / Math.max(data.length, 1);
  const bar = Math.max(2, slot * 0.7);
  const plotH = height - pad.top - pad.bottom;
  return (
    <figure class="chart-figure">
      <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Time to verdict of the last ${data.length} verdicts: median ${duration(median)}, longest ${duration(max)}`}>
        <line class="axis" x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} />
        {data.map((d, i) => {
          const h = Math.max(2, (d.ms / max) * plotH);
          return (
            <rect key={i} class={d.failed ? 'bar bar-failed' : 'bar'} x={pad.left + i * slot + (slot - bar) / 2} y={height - pad.bottom - h} width={bar} height={h}>
              <title>{`${d.label}: ${duration(d.ms)}${d.failed ? ' (failed)' : ''}`}</title>
            </rect>
          );
        })}
        <text x={pad.left} y={height - 6}>
          older
        </text>
        <text x={width - pad.right} y={height - 6} text-anchor="end">
          newest
        </text>
        <text x={pad.left} y={12}>
          max {duration(max)}
        </text>
      </svg>
      <figcaption class="muted small">
        Median {duration(median)} from push to verdict over the last {data.length} verdicts (red: failed).
      </figcaption>
    </figure>
  );
}
