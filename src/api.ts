import { defaultLocking, setDefaultLocking } from './default-locking.js';
import type { Lock } from './lock.js';
import {
  Locking,
  type IdentifierSource,
  type LockingOptions,
  type LockWrapper,
} from './locking.js';
import type { LockOptions } from './options.js';

/**
 * Wraps a function, or decorates a class method, so it runs only while holding the lock. When
 * it bails (`wait: false` and held, or `waitForMs` passed) the function is not run and the call
 * resolves `undefined`. The identifier may be a function of the call's arguments.
 * @example
 * const refresh = lock((user: User) => 'oauth:' + user.id)(refreshUserOAuthToken);
 * class Billing { @lock('nightly-invoices', { wait: false }) async run() { ... } }
 */
export function lock<A extends unknown[]>(
  identifier: IdentifierSource<A>,
  options?: LockOptions,
): LockWrapper<A> {
  // Resolved per call, so configureLocking() after module load still applies.
  const wrapperFor = (): LockWrapper<A> => defaultLocking().lock(identifier, options);
  wrapperFor(); // validates identifier and options now, not at the first call
  return ((fn: never, context?: never) =>
    function (this: unknown, ...args: A) {
      const wrapped = (wrapperFor() as (f: unknown, c?: unknown) => (...a: A) => unknown)(
        fn,
        context,
      );
      return wrapped.apply(this, args);
    }) as unknown as LockWrapper<A>;
}

/**
 * Runs `fn` while holding the lock (the context-manager form). Rejects with
 * `LockAcquisitionError` when it bails; `fn`'s own error is never hidden by a failed release.
 * @example
 * await withLock('migrations', { waitForMs: 60_000 }, async (held) => migrate({ signal: held.signal }));
 */
export function withLock<R>(identifier: string, fn: (held: Lock) => R | Promise<R>): Promise<R>;
export function withLock<R>(
  identifier: string,
  options: LockOptions | undefined,
  fn: (held: Lock) => R | Promise<R>,
): Promise<R>;
export function withLock<R>(
  identifier: string,
  optionsOrFn: LockOptions | undefined | ((held: Lock) => R | Promise<R>),
  fn?: (held: Lock) => R | Promise<R>,
): Promise<R> {
  return typeof optionsOrFn === 'function'
    ? defaultLocking().withLock(identifier, optionsOrFn)
    : defaultLocking().withLock(identifier, optionsOrFn, fn!);
}

/**
 * Builds an independent instance with injected clients and its own defaults and listeners.
 * @example
 * const locking = createLocking({ datastore: new Datastore(), defaults: { leaseMs: 10_000 } });
 */
export function createLocking(options?: LockingOptions): Locking {
  return new Locking(options);
}

/**
 * Replaces the default instance behind `lock`, `withLock` and `Lock.acquire`. Pass options to
 * build a new one, or an instance from `createLocking`. Returns the new default.
 */
export function configureLocking(optionsOrInstance?: LockingOptions | Locking): Locking {
  return setDefaultLocking(
    optionsOrInstance instanceof Locking ? optionsOrInstance : new Locking(optionsOrInstance),
  );
}
