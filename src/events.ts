import { EventEmitter } from 'node:events';
import type { LockKind } from './kinds.js';

interface LockEventBase {
  readonly identifier: string;
  readonly kind: LockKind;
  /** sha256 of the identifier: the key the record is stored under. */
  readonly key: string;
}

/** Payloads of the lifecycle events a `Locking` instance emits (`locking.on(name, listener)`). */
export interface LockEventMap {
  /** The lock was acquired. */
  acquired: LockEventBase & {
    readonly fencingToken: bigint | null;
    readonly waitedMs: number;
    readonly attempts: number;
    /** An existing record (expired, or older than `stealAfterMs`) was taken over. */
    readonly stole: boolean;
  };
  /**
   * The lock was found held, by another process or by an earlier caller of this one (once per
   * acquisition).
   */
  contended: LockEventBase;
  /** The acquisition gave up (`wait: false` or `waitForMs`). */
  bailed: LockEventBase & { readonly waitedMs: number; readonly attempts: number };
  /** A live lock of another holder was taken over because it was older than `stealAfterMs`. */
  stolen: LockEventBase & { readonly fencingToken: bigint | null };
  /** The lease was extended. */
  renewed: LockEventBase & { readonly fencingToken: bigint | null };
  /** A renewal failed; it is retried until the lease runs out. */
  renewalFailed: LockEventBase & { readonly error: unknown };
  /** The lock stopped being ours (`held.signal` aborted with `error`). */
  lost: LockEventBase & { readonly error: Error };
  /**
   * `withLock` / `lock()` could not release after the work (the record lapses within one lease).
   * The work's own result or error is returned as if the release had worked.
   */
  releaseFailed: LockEventBase & { readonly error: Error };
  /** `release()` finished; `released` is false when the lock was no longer ours. */
  released: LockEventBase & { readonly released: boolean; readonly heldMs: number };
}

export type LockEventName = keyof LockEventMap;
export type LockEventListener<E extends LockEventName> = (event: LockEventMap[E]) => void;

/** A typed event emitter. Emitting costs one map lookup when nobody listens. */
export class LockEvents {
  readonly #emitter = new EventEmitter();

  on<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#emitter.on(event, listener);
    return this;
  }

  once<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#emitter.once(event, listener);
    return this;
  }

  off<E extends LockEventName>(event: E, listener: LockEventListener<E>): this {
    this.#emitter.off(event, listener);
    return this;
  }

  /** Whether anyone listens: callers skip building payloads when nobody does. */
  listens(event: LockEventName): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  /** Calls listeners; a throwing listener is reported on the next tick, never into the lock. */
  emit<E extends LockEventName>(event: E, payload: () => LockEventMap[E]): void {
    if (!this.listens(event)) return;
    try {
      this.#emitter.emit(event, payload());
    } catch (error) {
      // A listener's bug must not break the lock's own bookkeeping; surface it like Node would.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
