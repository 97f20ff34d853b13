import type { RoundMode } from './protocol.js';
import type { RoundProgress, RoundResult } from './round.js';

const TITLES: Record<RoundMode, string> = {
  none: 'no lock',
  strong: 'STRONG lock',
  weak: 'WEAK lock',
};

/** Live progress: one redrawn line on a terminal, a start line otherwise (logs stay readable). */
export class ProgressLine {
  readonly #tty: boolean;
  #lastDrawMs = 0;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.#tty = Boolean(out.isTTY);
  }

  note(text: string): void {
    this.out.write(`${text}\n`);
  }

  start(mode: RoundMode, detail: string): void {
    if (!this.#tty) this.out.write(`Round "${mode}" (${TITLES[mode]}): ${detail}\n`);
  }

  update(mode: RoundMode, progress: RoundProgress): void {
    if (!this.#tty) return;
    const now = Date.now();
    // A redraw per request would flood a slow terminal; ~12 a second reads as live.
    if (now - this.#lastDrawMs < 80 && progress.done < progress.total) return;
    this.#lastDrawMs = now;
    const width = 24;
    const filled = Math.round((progress.done / Math.max(1, progress.total)) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const waits = mode === 'none' ? '' : ` · ${progress.lockWaits} lock waits`;
    this.out.write(
      `\r\x1b[2K  ${TITLES[mode].padEnd(11)} [${bar}] ${progress.done}/${progress.total} requests · ` +
        `${progress.providerCalls} provider calls${waits}`,
    );
  }

  finish(result: RoundResult): void {
    if (this.#tty) this.out.write('\r\x1b[2K');
    const seconds = (result.durationMs / 1000).toFixed(1);
    const outcome = result.error
      ? `FAILED after ${seconds} s: ${result.error}`
      : `${result.requests} requests in ${seconds} s, ${result.providerCalls} provider calls`;
    this.out.write(
      `${this.#tty ? '  ' + TITLES[result.mode].padEnd(11) : `Round "${result.mode}":`} ${outcome}\n`,
    );
  }
}

type Row = [label: string, cell: (round: RoundResult) => string];

const ROWS: Row[] = [
  ['requests', (r) => show(r.requests)],
  ['expired tokens asked for', (r) => show(r.expiredTokens)],
  ['provider calls (token refreshes)', (r) => show(r.providerCalls)],
  ['refreshes beyond one per expired token', (r) => show(r.extraRefreshes)],
  ['requests left holding an invalidated token', (r) => show(r.invalidTokensServed)],
  ['lock waits (found it held elsewhere)', (r) => show(r.lockWaits)],
  [
    'mean / max wait for the lock (ms)',
    (r) => (r.meanWaitMs === null ? 'n/a' : `${r.meanWaitMs} / ${r.maxWaitMs}`),
  ],
  ['locks stolen', (r) => show(r.steals)],
  [
    'fencing tokens only grew',
    (r) => (r.fencingTokensOnlyGrew === null ? 'n/a' : r.fencingTokensOnlyGrew ? 'yes' : 'NO'),
  ],
  ['round time (s)', (r) => (r.durationMs / 1000).toFixed(1)],
];

/** The rounds side by side: one column per round, one row per measurement. */
export function resultsTable(rounds: readonly RoundResult[]): string {
  const header = ['', ...rounds.map((round) => TITLES[round.mode])];
  const body = ROWS.map(([label, cell]) => [
    label,
    ...rounds.map((round) => (round.error && label !== 'round time (s)' ? 'failed' : cell(round))),
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...body].map((row) => row[column]!.length)),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** A few sentences that read the table for the user. */
export function verdict(rounds: readonly RoundResult[]): string[] {
  const lines: string[] = [];
  for (const round of rounds) {
    if (round.error) {
      lines.push(`${TITLES[round.mode]}: the round failed: ${round.error}`);
    } else if (round.mode === 'none') {
      lines.push(
        `Without a lock the instances asked the provider for ${round.providerCalls} tokens where ` +
          `${round.expiredTokens} would do, and ${round.invalidTokensServed} of ${round.requests} requests went on ` +
          'with a token that a later refresh had already revoked.',
      );
    } else {
      const clean = round.extraRefreshes === 0 && round.invalidTokensServed === 0;
      lines.push(
        `${TITLES[round.mode]}: ${round.providerCalls} provider calls, ` +
          `${round.extraRefreshes} extra refreshes, ${round.invalidTokensServed} invalid tokens served` +
          (clean ? ' - one refresh per expired token, as it should be.' : '.'),
      );
    }
  }
  return lines;
}

function show(value: number | null): string {
  return value === null ? 'n/a' : String(value);
}
