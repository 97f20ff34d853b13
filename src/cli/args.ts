import { CLEANUP_ENV } from '../cleanup/env.js';
import { DEFAULT_LOCKING } from '../locking-options.js';

export const COMMANDS = ['list', 'show', 'release', 'cleanup'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  readonly command: Command | 'help';
  readonly identifier: string | undefined;
  readonly kindName: string;
  readonly namespace: string;
  readonly json: boolean;
  readonly force: boolean;
  readonly all: boolean;
  readonly timeoutMs: number;
  readonly graceMs: number | undefined;
  readonly batchSize: number | undefined;
  readonly deadlineMs: number | undefined;
}

/** Bad command-line arguments: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: gcp-locking <command> [options]

Commands:
  list                       held STRONG locks: identifier, age, lease left, fencing token
  show <identifier>          one lock record in full
  release <identifier> --force
                             delete a lock record, whoever holds it (its holder loses the lock)
  cleanup                    delete expired lock records (what the Cloud Function runs)

Options:
  --kind-name <name>         Datastore kind of lock records (env ${CLEANUP_ENV.kindName}, default ${DEFAULT_LOCKING.kindName})
  --namespace <ns>           Datastore namespace (env ${CLEANUP_ENV.namespace}, default: the default namespace)
  --json                     machine-readable output
  --all                      list: also show expired records
  --force                    release: really delete
  --timeout-ms <ms>          deadline of each Datastore request (default 5000)
  --grace-ms, --batch-size, --deadline-ms <n>
                             cleanup: as cleanupLocks() (env CLEANUP_GRACE_MS, CLEANUP_BATCH_SIZE, CLEANUP_DEADLINE_MS)
  -h, --help                 this text

Datastore is found as the library finds it: DATASTORE_EMULATOR_HOST, DATASTORE_PROJECT_ID or
GOOGLE_CLOUD_PROJECT, then Application Default Credentials.`;

const VALUE_FLAGS = new Set([
  '--kind-name',
  '--namespace',
  '--timeout-ms',
  '--grace-ms',
  '--batch-size',
  '--deadline-ms',
]);
const SWITCHES = new Set(['--json', '--force', '--all', '--help', '-h']);

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = arg.startsWith('--') ? splitInline(arg) : [arg, undefined];
    if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value.`);
      values.set(flag, value);
    } else if (SWITCHES.has(flag)) {
      switches.add(flag);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`Unknown option ${arg}.`);
    } else {
      positional.push(arg);
    }
  }
  if (switches.has('--help') || switches.has('-h') || positional.length === 0) {
    return { ...defaults(env), command: 'help' };
  }
  const [command, identifier, ...extra] = positional;
  if (!COMMANDS.includes(command as Command)) {
    throw new UsageError(`Unknown command "${command}". Commands: ${COMMANDS.join(', ')}.`);
  }
  const needsIdentifier = command === 'show' || command === 'release';
  if (needsIdentifier && !identifier) throw new UsageError(`${command} needs a lock identifier.`);
  if ((!needsIdentifier && identifier !== undefined) || extra.length > 0) {
    throw new UsageError(`Unexpected argument "${needsIdentifier ? extra[0] : identifier}".`);
  }
  return {
    ...defaults(env),
    command: command as Command,
    identifier,
    kindName: values.get('--kind-name') ?? defaults(env).kindName,
    namespace: values.get('--namespace') ?? defaults(env).namespace,
    json: switches.has('--json'),
    force: switches.has('--force'),
    all: switches.has('--all'),
    timeoutMs: numberOf(values, '--timeout-ms') ?? 5000,
    graceMs: numberOf(values, '--grace-ms'),
    batchSize: numberOf(values, '--batch-size'),
    deadlineMs: numberOf(values, '--deadline-ms'),
  };
}

function defaults(env: NodeJS.ProcessEnv): CliArgs {
  return {
    command: 'help',
    identifier: undefined,
    kindName: env[CLEANUP_ENV.kindName] || DEFAULT_LOCKING.kindName,
    namespace: env[CLEANUP_ENV.namespace] ?? DEFAULT_LOCKING.namespace,
    json: false,
    force: false,
    all: false,
    timeoutMs: 5000,
    graceMs: undefined,
    batchSize: undefined,
    deadlineMs: undefined,
  };
}

function splitInline(arg: string): [string, string | undefined] {
  const at = arg.indexOf('=');
  return at === -1 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}

function numberOf(values: Map<string, string>, flag: string): number | undefined {
  const text = values.get(flag);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${flag} must be a non-negative number, got ${JSON.stringify(text)}.`);
  }
  return value;
}
