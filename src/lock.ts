import { performance } from 'node:perf_hooks';
import type { Lease, LockBackend } from './backends/backend.js';
import { LockBackendError, LockError, LockLostError } from './errors.js';
import type { LockEvents } from './events.js';
import type { LockKind } from './kinds.js';
import type { LockOptions } from './options.js';
import { startSpan } from './telemetry.js';
import { defaultLocking } from './default-locking.js';

/** What a `Locking` instance hands a new `Lock`. Internal. */
export interface HeldLockInit {
  readonly identifier: string;
  readonly kind: LockKind;
  readonly key: string;
  readonly backend: LockBackend;
  readonly lease: Lease;
  readonly leaseMs: number;
  readonly autoRenew: boolean;
  /** `performance.now()` when the acquiring write was sent: the lease is counted from there. */
  readonly writtenAt: number;
  readonly events: LockEvents;
  /** Called once when the lock is released or lost, to admit the next local waiter. */
  readonly onEnd: () => void;
}

const INTERNAL = Symbol('gcp-locking.internal');

/**
 * A held lock. Obtain one with `Lock.acquire`, `Lock.acquireOrThrow`, `withLock` or a `Locking`
 * instance; release it with `release()` or `await using`.
 *
 * While held, the lease is renewed every `leaseMs / 3`. If the lock is taken over, or renewal keeps
 * failing until the lease runs out, `signal` aborts with a `LockLostError`: pass it to the work the
 * lock protects so that work stops.
 */
export class Lock implements AsyncDisposable {
  /**
   * Acquires a lock through the default instance. Resolves the held `Lock`, or `null` when it
   * bails (`wait: false` and held, or `waitForMs` passed).
   * @example
   * const held = await Lock.acquire('migrations', { waitForMs: 10_000 });
   * if (held) try { await migrate(); } finally { await held.release(); }
   */
  static acquire(identifier: string, options?: LockOptions): Promise<Lock | null> {
    return defaultLocking().acquire(identifier, options);
  }

  /**
   * Like `acquire`, but rejects with `LockAcquisitionError` instead of resolving `null`.
   * @example
   * await using held = await Lock.acquireOrThrow('charge:' + order.id);
   */
  static acquireOrThrow(identifier: string, options?: LockOptions): Promise<Lock> {
    return defaultLocking().acquireOrThrow(identifier, options);
  }

  /** The identifier this lock was acquired with. */
  readonly identifier: string;
  /** `'strong'` or `'weak'`. */
  readonly kind: LockKind;
  /**
   * STRONG: the Datastore version of the acquiring commit, strictly increasing per identifier.
   * A resource that remembers the highest token it has seen can reject a stale holder's write.
   * WEAK: `null`.
   */
  readonly fencingToken: bigint | null;

  readonly #init: HeldLockInit;
  // Built on first read of `signal`: most locks are released without anyone reading it, and an
  // AbortController plus its DOMException reason were the largest CPU cost of a cycle (bench).
  #abort: AbortController | undefined;
  #endReason: (() => unknown) | undefined;
  #lease: Lease;
  #confirmedAt: number;
  #state: 'held' | 'lost' | 'released' = 'held';
  /** True once the backend said the record is someone else's: release then skips the backend. */
  #takenOver = false;
  #renewTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #releasing: Promise<boolean> | undefined;
  #ended = false;

  /** @internal Use `Lock.acquire` or a `Locking` instance. */
  constructor(internal: typeof INTERNAL, init: HeldLockInit) {
    if (internal !== INTERNAL) {
      throw new TypeError('Lock cannot be constructed directly; use Lock.acquire(identifier).');
    }
    this.#init = init;
    this.identifier = init.identifier;
    this.kind = init.kind;
    this.fencingToken = init.lease.fencingToken;
    this.#lease = init.lease;
    this.#confirmedAt = init.writtenAt;
    this.#armTimers();
  }

  /** @internal */
  static create(init: HeldLockInit): Lock {
    return new Lock(INTERNAL, init);
  }

  /** Aborts when the lock is released (an `AbortError`) or lost (a `LockLostError`). */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#endReason) this.#abort.abort(this.#endReason());
    }
    return this.#abort.signal;
  }

  /**
   * True until the lock is released or lost. Checked against the clock when read: a process that
   * was paused or starved of CPU may run before its lease timer does, and must not believe a
   * lease that has run out (reading `held` then aborts `signal` at once).
   */
  get held(): boolean {
    if (this.#state === 'held' && performance.now() >= this.#confirmedAt + this.#init.leaseMs) {
      this.#lose(`its lease of ${this.#init.leaseMs} ms ran out without a confirmed renewal`);
    }
    return this.#state === 'held';
  }

  /**
   * Releases the lock. Idempotent: resolves `true` if this call deleted our record, `false` if it
   * was already released, lost or taken over (nothing is deleted then). Rejects with
   * `LockBackendError` only if the service failed while the lock was still ours; the record then
   * lapses by itself within one lease, and renewal has stopped.
   */
  release(): Promise<boolean> {
    if (this.#releasing)
      return this.#releasing.then(
        () => false,
        () => false,
      );
    this.#releasing = this.#release();
    return this.#releasing;
  }

  /** `await using held = await Lock.acquireOrThrow(id)` releases at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  async #release(): Promise<boolean> {
    const span = startSpan('lock.release', { 'lock.kind': this.kind, 'lock.key': this.#init.key });
    this.#clearTimers();
    await this.#renewing;
    const wasLost = this.#state === 'lost';
    let released = false;
    try {
      if (!this.#takenOver)
        released = await this.#init.backend.release(this.#init.key, this.#lease);
    } catch (error) {
      if (!wasLost) {
        const failure = asBackendError(
          error,
          `Releasing lock "${this.identifier}" failed; it will lapse by itself within ${this.#init.leaseMs} ms.`,
          this.identifier,
        );
        this.#finish(released);
        span.end({ 'lock.outcome': 'error' }, failure);
        throw failure;
      }
      // Already reported lost: the record lapses by itself; nothing more to tell the caller.
    }
    // The backend said the record is someone else's: that is how a holder learns of a steal.
    if (!released && this.#state === 'held') {
      this.#takenOver = true;
      this.#lose('another holder took it over (stealAfterMs, or its lease had lapsed)');
    }
    this.#finish(released);
    span.end({ 'lock.outcome': released ? 'released' : 'not_held' });
    return released;
  }

  #finish(released: boolean): void {
    if (this.#state === 'held') {
      this.#state = 'released';
      this.#endWith(
        () => new DOMException(`The lock "${this.identifier}" was released.`, 'AbortError'),
      );
    }
    this.#end();
    const { identifier, kind, key, events, writtenAt } = this.#init;
    events.emit('released', () => ({
      identifier,
      kind,
      key,
      released,
      heldMs: performance.now() - writtenAt,
    }));
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearTimers();
    this.#init.onEnd();
  }

  #armTimers(): void {
    const { leaseMs, autoRenew } = this.#init;
    const leaseEnd = this.#confirmedAt + leaseMs;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(
      () => this.#lose(`its lease of ${leaseMs} ms ran out without a confirmed renewal`),
      Math.max(0, leaseEnd - performance.now()),
    ).unref();
    if (autoRenew) this.#scheduleRenewal(leaseMs / 3);
  }

  #scheduleRenewal(delayMs: number): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => (this.#renewing = undefined));
    }, delayMs).unref();
  }

  async #renew(): Promise<void> {
    if (this.#state !== 'held') return;
    const { backend, key, leaseMs, identifier, kind, events } = this.#init;
    const startedAt = performance.now();
    let renewed: Lease | null;
    try {
      renewed = await backend.renew(key, this.#lease, leaseMs);
    } catch (error) {
      events.emit('renewalFailed', () => ({ identifier, kind, key, error }));
      // Retry sooner than the normal cadence; the deadline timer ends it when the lease is gone.
      if (this.#state === 'held') this.#scheduleRenewal(Math.max(10, leaseMs / 6));
      return;
    }
    if (this.#state !== 'held') return;
    if (renewed === null) {
      this.#takenOver = true;
      this.#lose('another holder took it over (stealAfterMs, or its lease had lapsed)');
      return;
    }
    this.#lease = renewed;
    this.#confirmedAt = startedAt;
    this.#armTimers();
    events.emit('renewed', () => ({ identifier, kind, key, fencingToken: renewed.fencingToken }));
  }

  #lose(why: string): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    const { identifier, kind, key, events } = this.#init;
    const error = new LockLostError(`Lost the lock "${identifier}": ${why}.`, { identifier });
    this.#endWith(() => error);
    this.#end();
    events.emit('lost', () => ({ identifier, kind, key, error }));
  }

  /** Aborts `signal` (now, or when first read) with the reason `reason()` makes, made once. */
  #endWith(reason: () => unknown): void {
    let made: { value: unknown } | undefined;
    this.#endReason = () => (made ??= { value: reason() }).value;
    this.#abort?.abort(this.#endReason());
  }

  #clearTimers(): void {
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#deadlineTimer);
  }
}

/** Wraps anything a backend threw in a `LockBackendError` (a `LockError` passes through). */
export function asBackendError(error: unknown, message: string, identifier?: string): LockError {
  if (error instanceof LockError) return error;
  return new LockBackendError(message, { cause: error, identifier });
}
