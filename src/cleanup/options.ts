import type { Datastore } from '@google-cloud/datastore';
import { DEFAULT_LOCKING } from '../locking-options.js';
import type { Locking } from '../locking.js';
import { describe } from '../identifier.js';
import { checkMs, checkOptionsObject } from '../options.js';

/** Options of {@link cleanupLocks}. Every field is optional. */
export interface CleanupOptions {
  /**
   * Extra time a record must have been expired before it is deleted, so that clock skew between
   * a holder and this sweeper never removes a lock its holder still believes live.
   * @default 60000
   */
  graceMs?: number;
  /** Records read per query page. @default 500 */
  batchSize?: number;
  /** Deletes in flight at once (each is its own single-mutation commit). @default 16 */
  concurrency?: number;
  /**
   * Time budget of the whole sweep. No request is started, or left running, past it; what is
   * left over is picked up by the next run (`complete: false` says so).
   * @default 50000 (Cloud Functions' default timeout is 60 s)
   */
  deadlineMs?: number;
  /** Stops the sweep early, like the deadline. */
  signal?: AbortSignal;
  /**
   * Take the Datastore client, kind name, namespace and RPC timeout from this `Locking`
   * instance. Explicit `datastore` / `kindName` / `namespace` / `rpcTimeoutMs` still win.
   */
  locking?: Locking;
  /** @default the locking's client, else one built from the environment (as the library does) */
  datastore?: Datastore;
  /** @default the locking's kind name, else 'GcpLockingLock' */
  kindName?: string;
  /** @default the locking's namespace, else '' */
  namespace?: string;
  /** Deadline of each Datastore request (also capped by what is left of `deadlineMs`). @default 10000 */
  rpcTimeoutMs?: number;
}

/** What a sweep did. */
export interface CleanupResult {
  /** Expired records read and judged. */
  scanned: number;
  /** Records this sweep deleted. */
  deleted: number;
  /**
   * Records read but left in place: renewed or re-acquired since the read (their version moved
   * on), not lapsed yet on the server's clock, already deleted by another sweeper, or whose
   * delete did not finish before the deadline (such a delete may still have been applied).
   */
  skipped: number;
  /** False when the deadline or the signal stopped the sweep before the last page. */
  complete: boolean;
}

export const DEFAULT_CLEANUP = Object.freeze({
  graceMs: 60_000,
  batchSize: 500,
  concurrency: 16,
  deadlineMs: 50_000,
});

export interface ResolvedCleanup {
  readonly graceMs: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly deadlineMs: number;
  readonly signal: AbortSignal | undefined;
  readonly datastore: Datastore | undefined;
  readonly kindName: string;
  readonly namespace: string;
  readonly rpcTimeoutMs: number;
}

const KNOWN: ReadonlySet<string> = new Set([
  'graceMs',
  'batchSize',
  'concurrency',
  'deadlineMs',
  'signal',
  'locking',
  'datastore',
  'kindName',
  'namespace',
  'rpcTimeoutMs',
]);

/** Applies defaults and validates, naming the option at fault. */
export function resolveCleanup(options?: CleanupOptions): ResolvedCleanup {
  const given = checkOptionsObject(options, 'cleanupLocks options', KNOWN);
  const locking = given.locking as Locking | undefined;
  if (locking !== undefined && (locking === null || typeof locking.config !== 'object')) {
    throw new TypeError(
      `Option "locking" must be a Locking from createLocking(), got ${describe(locking)}.`,
    );
  }
  const config = locking?.config;
  if (config?.backend === 'memory') {
    throw new TypeError(
      'Option "locking" uses the memory backend: cleanupLocks sweeps Datastore records only ' +
        '(memory locks lapse by themselves).',
    );
  }
  const signal = given.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Option "signal" must be an AbortSignal, got ${describe(signal)}.`);
  }
  return {
    graceMs: checkMs(given, 'graceMs', 0) ?? DEFAULT_CLEANUP.graceMs,
    batchSize: checkCount(given, 'batchSize', 1000) ?? DEFAULT_CLEANUP.batchSize,
    concurrency: checkCount(given, 'concurrency', 500) ?? DEFAULT_CLEANUP.concurrency,
    deadlineMs: checkMs(given, 'deadlineMs', 1) ?? DEFAULT_CLEANUP.deadlineMs,
    signal,
    datastore: (given.datastore as Datastore | undefined) ?? config?.datastore,
    kindName: checkName(given, 'kindName') ?? config?.kindName ?? DEFAULT_LOCKING.kindName,
    namespace:
      checkName(given, 'namespace', true) ?? config?.namespace ?? DEFAULT_LOCKING.namespace,
    rpcTimeoutMs:
      checkMs(given, 'rpcTimeoutMs', 1) ?? config?.rpcTimeoutMs ?? DEFAULT_LOCKING.rpcTimeoutMs,
  };
}

function checkCount(given: Record<string, unknown>, name: string, max: number): number | undefined {
  const value = given[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(
      `Option "${name}" must be an integer from 1 to ${max}, got ${describe(value)}.`,
    );
  }
  return value;
}

function checkName(
  given: Record<string, unknown>,
  name: string,
  allowEmpty = false,
): string | undefined {
  const value = given[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new TypeError(`Option "${name}" must be a non-empty string, got ${describe(value)}.`);
  }
  return value;
}
