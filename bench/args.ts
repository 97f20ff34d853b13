/** Command-line flags of `npm run bench`. */
export interface BenchArgs {
  /** A smoke run under 60 s: fewer repetitions, shorter windows, Firestore emulator only. */
  readonly quick: boolean;
  /** Print one JSON object as the last line of output. */
  readonly json: boolean;
  /** Write docs/bench.svg. */
  readonly chart: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--json] [--no-chart]

  --quick     smoke run under 60 s (Firestore emulator and memcached only, few repetitions)
  --json      also print every figure as one JSON object on the last line
  --no-chart  do not write docs/bench.svg

Services are started on free ports (DATASTORE_EMULATOR_HOST and MEMCACHE_SERVERS, if set, are
used instead).`;

export function parseArgs(argv: readonly string[]): BenchArgs | 'help' {
  let quick = false;
  let json = false;
  let chart = true;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--json') json = true;
    else if (arg === '--no-chart') chart = false;
    else if (arg === '--help' || arg === '-h') return 'help';
    else throw new TypeError(`Unknown flag ${JSON.stringify(arg)}.\n\n${USAGE}`);
  }
  return { quick, json, chart };
}
