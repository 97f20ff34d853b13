import type { PhaseResult } from './phase.js';

const COLUMNS: [string, (r: PhaseResult) => string | number][] = [
  ['run', (r) => r.name],
  ['processes', (r) => r.processes],
  ['sections', (r) => r.sections],
  ['kills', (r) => r.kills],
  ['pauses', (r) => r.pauses],
  ['service faults', (r) => r.serviceFaults],
  ['LockBackendErrors', (r) => r.backendErrors],
  ['max recovery ms', (r) => r.maxRecoveryMs ?? '-'],
  ['late writes rejected', (r) => r.lateWritesRejected],
  ['overlaps', (r) => r.overlaps],
  ['violations', (r) => r.violations.length],
];

/** The summary as a Markdown table (readable in a terminal, pasteable into docs). */
export function summaryTable(results: readonly PhaseResult[]): string {
  const rows = results.map((result) => COLUMNS.map(([, cell]) => String(cell(result))));
  const header = COLUMNS.map(([name]) => name);
  const widths = header.map((name, i) =>
    Math.max(name.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
