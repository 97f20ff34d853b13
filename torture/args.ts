import { parseArgs } from 'node:util';

/** Sizes of a torture run. `--ci` is the bounded preset .ci/run uses (under 5 minutes, 2 cores). */
export interface TortureSizes {
  readonly ci: boolean;
  readonly workers: number;
  readonly seconds: number;
  readonly kills: number;
  readonly pauses: number;
  /** Rounds of proxy faults; each round is one delay, one drop and one blackhole. */
  readonly proxyRounds: number;
  readonly restarts: number;
  readonly leaseMs: number;
  readonly rpcTimeoutMs: number;
  /** Run only phases whose name contains this (case-insensitive). */
  readonly only: string | undefined;
}

const USAGE = `npm run torture -- [--ci] [--workers N] [--seconds N] [--kills N] [--pauses N]
                        [--proxy-rounds N] [--restarts N] [--lease-ms N] [--rpc-timeout-ms N] [--only TEXT]`;

export function parseTortureArgs(argv: string[]): TortureSizes {
  const { values } = parseArgs({
    args: argv,
    options: {
      ci: { type: 'boolean', default: false },
      workers: { type: 'string' },
      seconds: { type: 'string' },
      kills: { type: 'string' },
      pauses: { type: 'string' },
      'proxy-rounds': { type: 'string' },
      restarts: { type: 'string' },
      'lease-ms': { type: 'string' },
      'rpc-timeout-ms': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const preset = values.ci
    ? { workers: 4, seconds: 24, kills: 2, pauses: 2, proxyRounds: 1, restarts: 1 }
    : { workers: 6, seconds: 60, kills: 5, pauses: 4, proxyRounds: 2, restarts: 1 };
  const count = (name: string, given: string | undefined, fallback: number, min = 0): number => {
    if (given === undefined) return fallback;
    const value = Number(given);
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`--${name} must be an integer >= ${min}.\n${USAGE}`);
    return value;
  };
  return {
    ci: values.ci,
    workers: count('workers', values.workers, preset.workers, 2),
    seconds: count('seconds', values.seconds, preset.seconds, 10),
    kills: count('kills', values.kills, preset.kills),
    pauses: count('pauses', values.pauses, preset.pauses),
    proxyRounds: count('proxy-rounds', values['proxy-rounds'], preset.proxyRounds),
    restarts: count('restarts', values.restarts, preset.restarts),
    leaseMs: count('lease-ms', values['lease-ms'], 1500, 200),
    rpcTimeoutMs: count('rpc-timeout-ms', values['rpc-timeout-ms'], 1000, 1),
    only: values.only?.toLowerCase(),
  };
}
