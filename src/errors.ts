/**
 * Errors thrown by gcp-locking. Every error is a {@link LockError} with a stable `code`, and a
 * message that says what to do next. Instances are created where the failure happens (never
 * shared singletons), so their stacks point at the caller.
 */

/** Stable machine-readable codes, one per error class. */
export type LockErrorCode = 'LOCK_ERROR' | 'LOCK_NOT_ACQUIRED' | 'LOCK_LOST' | 'LOCK_BACKEND';

/** Base class of every error gcp-locking throws on purpose. */
export class LockError extends Error {
  override name = 'LockError';
  readonly code: LockErrorCode = 'LOCK_ERROR';
  /** The lock's identifier, when the error concerns one lock. */
  readonly identifier: string | undefined;

  constructor(message: string, options?: { cause?: unknown; identifier?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.identifier = options?.identifier;
  }
}

/**
 * The lock could not be acquired: it was held and `wait` was false, or `waitForMs` passed.
 * Rejected by `withLock` and `Lock.acquireOrThrow`; `lock()` and `Lock.acquire` bail quietly instead.
 */
export class LockAcquisitionError extends LockError {
  override name = 'LockAcquisitionError';
  override readonly code = 'LOCK_NOT_ACQUIRED';
}

/**
 * A held lock stopped being ours: it was stolen (`stealAfterMs`), its lease lapsed, or renewal kept
 * failing for a whole lease. Delivered as `held.signal.reason`; never thrown from a timer.
 */
export class LockLostError extends LockError {
  override name = 'LockLostError';
  override readonly code = 'LOCK_LOST';
}

/**
 * The backing service failed or could not be reached (Datastore, memcached). `cause` carries the
 * underlying client error.
 */
export class LockBackendError extends LockError {
  override name = 'LockBackendError';
  override readonly code = 'LOCK_BACKEND';
}
