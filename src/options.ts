import { describe } from './identifier.js';
import { isLockKind, LOCK_KINDS, type LockKind } from './kinds.js';

/** Options of one acquisition: `lock(id, options)`, `withLock(id, options, fn)`, `Lock.acquire(id, options)`. */
export interface LockOptions {
  /**
   * Wait while another holder has the lock. `false` bails at once: `lock()` skips the function,
   * `Lock.acquire` resolves `null`, `withLock` rejects with `LockAcquisitionError`.
   * @default true
   */
  wait?: boolean;
  /**
   * Give up waiting after this many milliseconds (bail as with `wait: false`). `0` makes one attempt.
   * @default undefined (wait without limit)
   */
  waitForMs?: number;
  /**
   * Ignore, and take over, an existing lock acquired more than this many milliseconds ago, even one
   * whose holder is still renewing it. The old holder learns at its next renewal or release.
   * @default undefined (never steal a live lease)
   */
  stealAfterMs?: number;
  /**
   * How long the lock stays valid after its last write. While held it is renewed every
   * `leaseMs / 3`; a crashed holder frees it within one lease.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * Renew the lease in the background while the lock is held. With `false` the lock simply lapses
   * `leaseMs` after acquisition (and `held.signal` aborts then).
   * @default true
   */
  autoRenew?: boolean;
  /**
   * `LOCK_KINDS.STRONG` (Datastore) or `LOCK_KINDS.WEAK` (memcached).
   * @default LOCK_KINDS.STRONG
   */
  kind?: LockKind;
  /** Cancels a wait: the acquisition rejects promptly with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options after defaults are applied and every value is checked. */
export interface ResolvedLockOptions {
  readonly wait: boolean;
  readonly waitForMs: number | undefined;
  readonly stealAfterMs: number | undefined;
  readonly leaseMs: number;
  readonly autoRenew: boolean;
  readonly kind: LockKind;
  readonly signal: AbortSignal | undefined;
}

/** Defaults applied where an option is not given. */
export const DEFAULT_LOCK_OPTIONS = Object.freeze({
  wait: true,
  leaseMs: 30_000,
  autoRenew: true,
  kind: LOCK_KINDS.STRONG,
} as const);

/** Below this a lease cannot be renewed reliably across a network round trip. */
export const MIN_LEASE_MS = 200;
/** Node timers overflow past 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'wait',
  'waitForMs',
  'stealAfterMs',
  'leaseMs',
  'autoRenew',
  'kind',
  'signal',
]);

/**
 * Applies defaults and validates every option before any backend is called. Throws a
 * `TypeError` (wrong type, unknown option) or `RangeError` (bad number) that names the option.
 */
export function resolveLockOptions(
  options: unknown,
  defaults: LockOptions = {},
): ResolvedLockOptions {
  const given = checkOptionsObject(options, 'lock options');
  const merged: Record<string, unknown> = { ...defaults, ...stripUndefined(given) };
  return {
    wait: checkBoolean(merged, 'wait', DEFAULT_LOCK_OPTIONS.wait),
    waitForMs: checkMs(merged, 'waitForMs', 0),
    stealAfterMs: checkMs(merged, 'stealAfterMs', 0),
    leaseMs: checkMs(merged, 'leaseMs', MIN_LEASE_MS) ?? DEFAULT_LOCK_OPTIONS.leaseMs,
    autoRenew: checkBoolean(merged, 'autoRenew', DEFAULT_LOCK_OPTIONS.autoRenew),
    kind: checkKind(merged.kind),
    signal: checkSignal(merged.signal),
  };
}

/** Checks that `options` is undefined or a plain object with only known keys. */
export function checkOptionsObject(
  options: unknown,
  what: string,
  known: ReadonlySet<string> = KNOWN_OPTIONS,
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`The ${what} must be an object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown option "${key}" in the ${what}. Known options: ${[...known].join(', ')}.`,
      );
    }
  }
  return options as Record<string, unknown>;
}

function stripUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function checkBoolean(options: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`Option "${name}" must be a boolean, got ${describe(value)}.`);
  }
  return value;
}

/** Validates a millisecond option: a finite number, at least `min`, at most {@link MAX_TIMER_MS}. */
export function checkMs(
  options: Record<string, unknown>,
  name: string,
  min: number,
): number | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(
      `Option "${name}" must be a number of milliseconds, got ${describe(value)}.`,
    );
  }
  if (!Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(
      `Option "${name}" must be a finite number of milliseconds from ${min} to ${MAX_TIMER_MS}, ` +
        `got ${describe(value)}.`,
    );
  }
  return value;
}

function checkKind(value: unknown): LockKind {
  if (value === undefined) return DEFAULT_LOCK_OPTIONS.kind;
  if (!isLockKind(value)) {
    throw new TypeError(
      `Option "kind" must be LOCK_KINDS.STRONG ("strong") or LOCK_KINDS.WEAK ("weak"), ` +
        `got ${describe(value)}.`,
    );
  }
  return value;
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(
      `Option "signal" must be an AbortSignal (for example AbortSignal.timeout(5000)), ` +
        `got ${describe(value)}.`,
    );
  }
  return value;
}
