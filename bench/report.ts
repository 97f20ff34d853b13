import type { ContentionRun } from './contention.js';
import { SERVICE_LABELS, type BenchResult } from './result.js';

type Cell = string | number;

const ms = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** A plain-text table, columns padded, numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly Cell[][]): string {
  const text = rows.map((cells) => cells.map(String));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...text.map((cells) => cells[i]!.length)),
  );
  const line = (cells: readonly string[], numeric: boolean[]): string =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const numeric = headers.map((_, i) =>
    rows.every((cells) => typeof cells[i] === 'number' || /^[\d.,x n/a-]+$/.test(String(cells[i]))),
  );
  return [
    line(headers, numeric),
    line(
      widths.map((width) => '-'.repeat(width)),
      numeric,
    ),
    ...text.map((cells) => line(cells, numeric)),
  ].join('\n');
}

function methods(byMethod: Record<string, number>, digits = 1): string {
  return Object.entries(byMethod)
    .map(
      ([method, count]) => `${method} ${Number.isInteger(count) ? count : count.toFixed(digits)}`,
    )
    .join(', ');
}

function contentionTable(runs: readonly ContentionRun[]): string {
  return table(
    [
      'contender',
      'service',
      'acq/s',
      'gap med ms',
      'gap p95 ms',
      'x-proc gap med',
      'wait p95 ms',
      'wait max ms',
      'req/acq',
      'req/s',
      'per process',
      'fail',
      'overlap',
    ],
    runs.map((run) => [
      run.name + (run.variant ? ` (${run.variant.label})` : ''),
      run.service,
      ms(run.acquisitionsPerSecond, 1),
      ms(run.handoffGapMs.median, 1),
      ms(run.handoffGapMs.p95, 1),
      ms(run.crossProcessGapMs.median, 1),
      ms(run.waitMs.p95, 0),
      ms(run.waitMs.max, 0),
      ms(run.requestsPerAcquisition),
      ms(run.requestsPerSecond, 0),
      run.perProcess.join('/'),
      run.failures,
      run.overlaps,
    ]),
  );
}

/** The human-readable report. */
export function formatReport(result: BenchResult): string {
  const out: string[] = [];
  const setup = result.contentionSetup;
  out.push(
    `gcp-locking bench (${result.quick ? 'quick' : 'full'}) — ${result.startedAt} — node ${result.machine.node}, ` +
      `${result.machine.cpus} CPUs, load average at start ${result.machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  out.push(
    'Local emulators and memcached on this machine: absolute times are noisy; read the ratios.',
  );
  const strong = result.uncontended.filter((u) => u.service !== 'memcached');
  for (const u of strong) {
    out.push(
      '',
      `1. Uncontended acquire + release — ${SERVICE_LABELS[u.service]}, ${u.iterations} cycles each, round-robin`,
    );
    out.push(
      table(
        ['contender', 'median ms', 'p95 ms', 'x floor', 'RPCs/cycle', 'RPCs by method (per cycle)'],
        u.rows.map((r) => [
          r.name,
          ms(r.cycle.median),
          ms(r.cycle.p95),
          ms(r.ratioToFloor) + 'x',
          ms(r.requestsPerCycle, 1),
          methods(r.requestsByMethod),
        ]),
      ),
    );
  }
  const contention = `${setup.processes * setup.contendersPerProcess} contenders in ${setup.processes} processes on one identifier, hold ${setup.holdMs} ms, think ${setup.thinkMs} ms, ${setup.rounds} x ${setup.windowMs / 1000} s interleaved`;
  const strongRuns = result.contention.filter((run) => run.service !== 'memcached');
  if (strongRuns.length) {
    out.push('', `2. Contention — ${contention}`);
    out.push(contentionTable(strongRuns));
  }
  const weak = result.uncontended.find((u) => u.service === 'memcached');
  if (weak) {
    out.push('', `3. WEAK — memcached, ${weak.iterations} cycles each, round-robin`);
    out.push(
      table(
        [
          'contender',
          'median ms',
          'p95 ms',
          'x floor',
          'requests/cycle',
          'requests by method (per cycle)',
        ],
        weak.rows.map((r) => [
          r.name,
          ms(r.cycle.median, 3),
          ms(r.cycle.p95, 3),
          ms(r.ratioToFloor) + 'x',
          ms(r.requestsPerCycle, 1),
          methods(r.requestsByMethod),
        ]),
      ),
    );
    const weakRuns = result.contention.filter((run) => run.service === 'memcached');
    if (weakRuns.length) {
      out.push('', `   WEAK contention — ${contention}`);
      out.push(contentionTable(weakRuns));
    }
  }
  const s = result.scale;
  out.push('', `4. Scale in one process — ${SERVICE_LABELS[s.service]}`);
  out.push(
    table(
      ['measure', 'figure'],
      [
        [
          `${s.identifiers} identifiers acquired at once`,
          `${ms(s.acquisitionsPerSecond, 0)} acquisitions/s`,
        ],
        [
          `held ${s.holdMs / 1000} s with leaseMs ${s.leaseMs} (renewal every ${Math.round(s.leaseMs / 3)} ms)`,
          `${s.renewed} renewals = ${ms(s.renewalsPerSecond, 0)}/s, ${s.renewalFailures} failed, ${s.lost} locks lost`,
        ],
        [`${s.identifiers} released at once`, `${ms(s.releasesPerSecond, 0)} releases/s`],
        ['backend requests in all', String(s.requests)],
        ...s.heap.map((h): Cell[] => [
          `heap per held lock, ${h.held} held, ${h.backend} backend`,
          h.error ? `failed: ${h.error}` : `${ms(h.bytesPerLock, 0)} bytes`,
        ]),
        [
          'library CPU per acquire + release (memory backend)',
          `${ms(s.overhead.microsPerCycle, 1)} µs (${s.overhead.cycles} cycles)`,
        ],
      ],
    ),
  );
  out.push(
    '',
    'Targets (issue 6), judged on the Firestore emulator in Datastore mode' +
      (result.quick ? ' (quick run: too few repetitions to judge; run without --quick)' : ''),
  );
  for (const verdict of result.targets) {
    const mark = verdict.met === null ? 'NOT MEASURED' : verdict.met ? 'MET' : 'MISSED';
    out.push(`- [${mark}] ${verdict.target}: ${verdict.figure}.`, `  ${verdict.why}`);
  }
  out.push('', `Total ${ms(result.durationMs / 1000, 1)} s.`);
  return out.join('\n');
}
