import type { RecordView } from './records.js';

/** 1234 → "1.2s", 90_000 → "1m30s", negative → "expired 3s ago". */
export function duration(ms: number): string {
  if (ms < 0) return `expired ${duration(-ms)} ago`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** A plain-text table with a header row, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Identifiers are the user's text: keep control characters from reaching the terminal raw. */
export function printable(text: string, max = 60): string {
  const safe = JSON.stringify(text).slice(1, -1);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

export function locksTable(views: readonly RecordView[]): string {
  return table(
    ['IDENTIFIER', 'AGE', 'LEASE LEFT', 'FENCING TOKEN'],
    views.map((view) => [
      printable(view.identifier),
      duration(view.ageMs),
      duration(view.leaseLeftMs),
      view.fencingToken,
    ]),
  );
}

export function recordDetails(view: RecordView, kindName: string, namespace: string): string {
  return [
    `identifier:     ${printable(view.identifier, 1500)}`,
    `state:          ${view.expired ? 'expired (free to acquire; cleanup will delete it)' : 'held'}`,
    `kind/namespace: ${kindName} / ${namespace === '' ? '(default)' : namespace}`,
    `key:            ${view.key}`,
    `fencing token:  ${view.fencingToken}`,
    `acquired at:    ${view.acquiredAt} (${duration(view.ageMs)} ago)`,
    `lease:          ${view.leaseMs} ms, ${duration(view.leaseLeftMs)}${view.leaseLeftMs > 0 ? ' left' : ''}`,
    `expireAt:       ${view.expireAt}`,
    `judged on:      the ${view.clock}'s clock`,
  ].join('\n');
}
