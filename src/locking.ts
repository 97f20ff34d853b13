import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Datastore } from '@google-cloud/datastore';
import type { Client as MemjsClient } from 'memjs';
import type { LockBackend } from './backends/backend.js';
import { MemoryBackend } from './backends/memory.js';
import { backoffDelayMs } from './backoff.js';
import { LockAcquisitionError, LockError } from './errors.js';
import { LockEvents, type LockEventListener, type LockEventName } from './events.js';
import { assertIdentifier, lockKeyFor } from './identifier.js';
import { LOCK_KINDS, type LockKind } from './kinds.js';
import { asBackendError, Lock } from './lock.js';
import { LocalQueue, type LeaveQueue } from './local-queue.js';
import { resolveLocking, type LockingOptions, type ResolvedLocking } from './locking-options.js';
import { resolveLockOptions, type LockOptions } from './options.js';
import { sleep } from './sleep.js';
import { startSpan } from './telemetry.js';
import { createDatastoreBackend } from './backends/datastore/index.js';
import { createMemcacheBackend } from './backends/memcache/index.js';

export type { LockingOptions } from './locking-options.js';

/** Local handoffs in a row after which the next local waiter yields one poll delay. */
export const LOCAL_HANDOFFS_BEFORE_YIELD = 8;

/** An identifier, or a function of the wrapped function's arguments that returns one. */
export type IdentifierSource<A extends unknown[]> = string | ((...args: A) => string);

/**
 * What `lock(identifier, options)` returns: wraps a function (`lock('id')(fn)`), or decorates a
 * class method (`@lock('id')`, TypeScript 5 standard decorators). The wrapped function resolves
 * `undefined` without running when the lock is not acquired.
 */
export interface LockWrapper<A extends unknown[]> {
  <This, Args extends A, R>(
    fn: (this: This, ...args: Args) => R,
  ): (this: This, ...args: Args) => Promise<Awaited<R> | undefined>;
  <This, Args extends A, R>(
    method: (this: This, ...args: Args) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
  ): (this: This, ...args: Args) => Promise<R>;
}

/**
 * A set of lock backends, defaults and listeners. Build one with `createLocking()` to inject
 * clients; the module-level functions use a default one built from the environment.
 */
export class Locking {
  readonly #config: ResolvedLocking;
  readonly #events = new LockEvents();
  readonly #queue = new LocalQueue();
  readonly #backends = new Map<LockKind, Promise<LockBackend>>();
  readonly #owned: LockBackend[] = [];

  constructor(options?: LockingOptions) {
    this.#config = resolveLocking(options);
  }

  /** Acquires a lock: resolves the held `Lock`, or `null` when it bails. */
  async acquire(identifier: string, options?: LockOptions): Promise<Lock | null> {
    const key = lockKeyFor(identifier);
    const opts = resolveLockOptions(options, this.#config.defaults);
    opts.signal?.throwIfAborted();
    const backend = await this.backend(opts.kind);
    const startedAt = performance.now();
    const deadline = opts.waitForMs === undefined ? Infinity : startedAt + opts.waitForMs;
    const base = { identifier, kind: opts.kind, key };
    const span = startSpan('lock.acquire', { 'lock.kind': opts.kind, 'lock.key': key });
    let attempts = 0;
    let leave: LeaveQueue | null | undefined;
    try {
      const queueKey = `${opts.kind}:${key}`;
      // A caller of this process is ahead: that is contention too, even if we never poll.
      let contended = opts.stealAfterMs === undefined && this.#queue.busy(queueKey);
      if (contended) this.#events.emit('contended', () => base);
      // A stealer must reach the backend even while a local caller holds the lock.
      leave =
        opts.stealAfterMs === undefined
          ? await this.#queue.enter(queueKey, { wait: opts.wait, deadline, signal: opts.signal })
          : () => undefined;
      const streak = this.#queue.handoffs(queueKey);
      if (leave && streak > 0 && streak % LOCAL_HANDOFFS_BEFORE_YIELD === 0) {
        // Other processes only find the lock free between two local holders. Every Nth local
        // handoff waits one ordinary poll delay, so a process polling elsewhere gets its turn
        // instead of starving while this one always has a local waiter.
        const delayMs = backoffDelayMs(Number.MAX_SAFE_INTEGER, this.#config.backoff);
        await sleep(Math.min(delayMs, Math.max(0, deadline - performance.now())), opts.signal);
      }
      while (leave) {
        attempts += 1;
        const writtenAt = performance.now();
        const result = await backend.tryAcquire({
          key,
          identifier,
          token: randomUUID(),
          leaseMs: opts.leaseMs,
          stealAfterMs: opts.stealAfterMs,
          firstAttempt: attempts === 1,
        });
        if (result.acquired) {
          const held = Lock.create({
            ...base,
            backend,
            lease: result.lease,
            leaseMs: opts.leaseMs,
            autoRenew: opts.autoRenew,
            writtenAt,
            events: this.#events,
            onEnd: leave,
          });
          const waitedMs = performance.now() - startedAt;
          const fencingToken = result.lease.fencingToken;
          if (result.overruled ?? result.stole) {
            this.#events.emit('stolen', () => ({ ...base, fencingToken }));
          }
          this.#events.emit('acquired', () => ({
            ...base,
            fencingToken,
            waitedMs,
            attempts,
            stole: result.stole,
          }));
          span.end({
            'lock.outcome': 'acquired',
            'lock.waited_ms': waitedMs,
            'lock.attempts': attempts,
          });
          return held;
        }
        if (!contended) {
          contended = true;
          this.#events.emit('contended', () => base);
        }
        const remainingMs = deadline - performance.now();
        if (!opts.wait || remainingMs <= 0) break;
        await sleep(
          Math.min(backoffDelayMs(attempts, this.#config.backoff), remainingMs),
          opts.signal,
        );
      }
    } catch (error) {
      leave?.();
      const failure = opts.signal?.aborted
        ? error
        : asBackendError(
            error,
            `Acquiring lock "${identifier}" failed: ${String(error)}`,
            identifier,
          );
      span.end(
        { 'lock.outcome': opts.signal?.aborted ? 'aborted' : 'error', 'lock.attempts': attempts },
        failure,
      );
      throw failure;
    }
    leave?.();
    const waitedMs = performance.now() - startedAt;
    this.#events.emit('bailed', () => ({ ...base, waitedMs, attempts }));
    span.end({ 'lock.outcome': 'bailed', 'lock.waited_ms': waitedMs, 'lock.attempts': attempts });
    return null;
  }

  /** Like `acquire`, but rejects with `LockAcquisitionError` instead of resolving `null`. */
  async acquireOrThrow(identifier: string, options?: LockOptions): Promise<Lock> {
    const held = await this.acquire(identifier, options);
    if (held) return held;
    throw new LockAcquisitionError(
      `Could not acquire lock "${identifier}": another holder has it` +
        (options?.wait === false
          ? ' (wait: false).'
          : ` and waitForMs (${options?.waitForMs} ms) passed.`),
      { identifier },
    );
  }

  /**
   * Runs `fn` while holding the lock and releases it afterwards. Rejects with
   * `LockAcquisitionError` when it bails. `fn`'s own error always wins over a release failure.
   */
  withLock<R>(identifier: string, fn: (held: Lock) => R | Promise<R>): Promise<R>;
  withLock<R>(
    identifier: string,
    options: LockOptions | undefined,
    fn: (held: Lock) => R | Promise<R>,
  ): Promise<R>;
  async withLock<R>(
    identifier: string,
    optionsOrFn: LockOptions | undefined | ((held: Lock) => R | Promise<R>),
    maybeFn?: (held: Lock) => R | Promise<R>,
  ): Promise<R> {
    const [options, fn] =
      typeof optionsOrFn === 'function' ? [undefined, optionsOrFn] : [optionsOrFn, maybeFn];
    if (typeof fn !== 'function') {
      throw new TypeError(
        'withLock(identifier, options, fn) needs a function to run as its last argument.',
      );
    }
    const held = await this.acquireOrThrow(identifier, options);
    return this.#runHolding(held, () => fn(held));
  }

  /**
   * Wraps a function, or decorates a method, so that it runs only while holding the lock. When
   * the lock is not acquired the function is not run and the call resolves `undefined`.
   * @example
   * const refresh = locking.lock((user: User) => 'oauth:' + user.id)(refreshUserOAuthToken);
   */
  lock<A extends unknown[]>(
    identifier: IdentifierSource<A>,
    options?: LockOptions,
  ): LockWrapper<A> {
    if (typeof identifier !== 'function') assertIdentifier(identifier);
    resolveLockOptions(options, this.#config.defaults);
    const acquire = (id: string): Promise<Lock | null> => this.acquire(id, options);
    const runHolding = <R>(held: Lock, work: () => R | Promise<R>): Promise<Awaited<R>> =>
      this.#runHolding(held, work);
    const wrap = <This, Args extends A, R>(fn: (this: This, ...args: Args) => R) => {
      if (typeof fn !== 'function') {
        throw new TypeError('lock(identifier, options) wraps a function: call it as lock(id)(fn).');
      }
      return async function locked(this: This, ...args: Args): Promise<Awaited<R> | undefined> {
        const id = typeof identifier === 'function' ? identifier.apply(this, args) : identifier;
        const held = await acquire(id);
        if (!held) return undefined;
        return runHolding(held, () => fn.apply(this, args));
      };
    };
    return wrap;
  }

  /** Subscribes to lifecycle events: `acquired`, `contended`, `bailed`, `stolen`, `renewed`, `renewalFailed`, `lost`, `released`, `releaseFailed`. */
  on<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  once<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#events.once(event, listener);
    return this;
  }

  off<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * The backend serving `kind`, created on first use. Exposed for tools (cleanup, CLI); most
   * code never needs it.
   */
  backend(kind: LockKind): Promise<LockBackend> {
    let backend = this.#backends.get(kind);
    if (!backend) {
      backend = this.#createBackend(kind);
      this.#backends.set(kind, backend);
      // A failed creation is not cached: the next call tries again (say, after a fix of the env).
      backend.catch(() => this.#backends.delete(kind));
    }
    return backend;
  }

  /** This instance's settings, after defaults. */
  get config(): ResolvedLocking {
    return this.#config;
  }

  /** Closes the clients this instance created itself. Injected clients are left to their owner. */
  async close(): Promise<void> {
    const owned = this.#owned.splice(0);
    this.#backends.clear();
    await Promise.all(owned.map(async (backend) => backend.close?.()));
  }

  async #createBackend(kind: LockKind): Promise<LockBackend> {
    const config = this.#config;
    if (config.backend === 'memory') return new MemoryBackend();
    const given = config.backend?.[kind];
    if (given) return given;
    if (kind === LOCK_KINDS.STRONG) {
      const backend = await createDatastoreBackend({
        datastore: config.datastore,
        protocol: config.protocol,
        kindName: config.kindName,
        namespace: config.namespace,
        rpcTimeoutMs: config.rpcTimeoutMs,
      });
      if (!config.datastore) this.#owned.push(backend);
      return backend;
    }
    const backend = await createMemcacheBackend({
      client: config.memcache,
      servers: config.memcacheServers,
      keyPrefix: config.memcacheKeyPrefix,
      timeoutMs: config.rpcTimeoutMs,
    });
    if (!config.memcache) this.#owned.push(backend);
    return backend;
  }

  async #runHolding<R>(held: Lock, work: () => R | Promise<R>): Promise<Awaited<R>> {
    let result: Awaited<R>;
    try {
      result = await work();
    } catch (error) {
      await held
        .release()
        .catch((releaseError: unknown) => this.#releaseFailed(held, releaseError));
      throw error;
    }
    // The protected work is done: a failed release must not turn it into a failure that invites a
    // retry (a second charge). The record lapses within one lease; listeners hear about it.
    await held.release().catch((releaseError: unknown) => this.#releaseFailed(held, releaseError));
    return result;
  }

  #releaseFailed(held: Lock, error: unknown): void {
    const key = lockKeyFor(held.identifier);
    this.#events.emit('releaseFailed', () => ({
      identifier: held.identifier,
      kind: held.kind,
      key,
      error: error instanceof LockError ? error : asBackendError(error, String(error)),
    }));
  }
}

export type { Datastore, MemjsClient };
