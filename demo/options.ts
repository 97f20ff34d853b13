import { parseArgs } from 'node:util';
import type { RoundMode } from './protocol.js';

export interface DemoOptions {
  readonly workers: number;
  readonly users: number;
  /** Concurrent requests per worker. */
  readonly requests: number;
  /** The rounds, in order: always `none` first, then the locked ones asked for. */
  readonly rounds: readonly RoundMode[];
  readonly json: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run demo -- [options]

  --workers <n>    app instances (worker processes)               default 6
  --users <n>      users whose OAuth tokens they share            default 5
  --requests <n>   concurrent requests served by each instance    default 10
  --kind <k>       locked rounds after the unlocked one:
                   strong | weak | both                           default both
  --json           end the output with one line of JSON: {"rounds": [...]}
  --help           this text

DATASTORE_EMULATOR_HOST / MEMCACHE_SERVERS, when set, are used instead of starting
a Firestore emulator (Datastore mode) and memcached.`;

const KIND_ROUNDS: Record<string, readonly RoundMode[]> = {
  strong: ['strong'],
  weak: ['weak'],
  both: ['strong', 'weak'],
};

/** Parses the command line; throws a `TypeError` that names the bad option. */
export function parseDemoOptions(argv: readonly string[]): DemoOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      workers: { type: 'string', default: '6' },
      users: { type: 'string', default: '5' },
      requests: { type: 'string', default: '10' },
      kind: { type: 'string', default: 'both' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const locked = KIND_ROUNDS[values.kind];
  if (!locked) {
    throw new TypeError(`--kind must be strong, weak or both, got "${values.kind}".`);
  }
  return {
    workers: count('workers', values.workers, 64),
    users: count('users', values.users, 1000),
    requests: count('requests', values.requests, 1000),
    rounds: ['none', ...locked],
    json: values.json,
    help: values.help,
  };
}

function count(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TypeError(`--${name} must be a whole number from 1 to ${max}, got "${text}".`);
  }
  return value;
}
