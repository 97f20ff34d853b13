import { Locking } from './locking.js';

let instance: Locking | undefined;

/**
 * The instance behind the module-level `lock`, `withLock` and `Lock.acquire`: built on first use
 * from the environment alone (see `createLocking`), or the one given to `configureLocking`.
 */
export function defaultLocking(): Locking {
  return (instance ??= new Locking());
}

/** Replaces the default instance. The previous one keeps serving the locks it already holds. */
export function setDefaultLocking(next: Locking): Locking {
  instance = next;
  return next;
}
