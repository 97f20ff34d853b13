/** Releases a place in the local queue to the next waiter. Idempotent. */
export type LeaveQueue = () => void;

interface Waiter {
  admit(leave: LeaveQueue): void;
}

/**
 * In-process FIFO per lock key. Only the first waiter of a process polls the backend; the others
 * wait here, so backend load grows with the number of processes, not of callers. A local release
 * admits the next local waiter at once, which then makes its backend attempt without a backoff.
 */
export class LocalQueue {
  readonly #queues = new Map<string, Waiter[]>();
  /** Consecutive local handoffs per key, since the key was last free in this process. */
  readonly #streaks = new Map<string, number>();

  /**
   * Resolves a `leave` function once this caller is first in line for `key`, `null` if
   * `wait` is false and someone is ahead, or `null` at `deadline` (a `performance.now()` time).
   * Rejects with `signal.reason` when the signal aborts.
   */
  enter(
    key: string,
    {
      wait,
      deadline,
      signal,
    }: { wait: boolean; deadline: number; signal: AbortSignal | undefined },
  ): Promise<LeaveQueue | null> {
    const queue = this.#queues.get(key);
    if (!queue) {
      this.#queues.set(key, []);
      return Promise.resolve(this.#leaveFor(key));
    }
    if (!wait || deadline <= performance.now()) return Promise.resolve(null);
    return new Promise<LeaveQueue | null>((resolve, reject) => {
      const waiter: Waiter = {
        admit: (leave) => {
          cleanup();
          resolve(leave);
        },
      };
      const drop = (): void => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
      };
      const onAbort = (): void => {
        drop();
        cleanup();
        reject(signal?.reason as Error);
      };
      const timer = Number.isFinite(deadline)
        ? setTimeout(
            () => {
              drop();
              cleanup();
              resolve(null);
            },
            Math.max(0, deadline - performance.now()),
          )
        : undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** Whether a caller of this process is first in line for `key` (polling or holding). */
  busy(key: string): boolean {
    return this.#queues.has(key);
  }

  /** How many local handoffs in a row admitted the caller now first in line for `key` (0: none). */
  handoffs(key: string): number {
    return this.#streaks.get(key) ?? 0;
  }

  /** Number of callers waiting behind the first, per key: for tests and telemetry. */
  waiting(key: string): number {
    return this.#queues.get(key)?.length ?? 0;
  }

  #leaveFor(key: string): LeaveQueue {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const queue = this.#queues.get(key);
      const next = queue?.shift();
      if (next) {
        this.#streaks.set(key, this.handoffs(key) + 1);
        next.admit(this.#leaveFor(key));
      } else {
        this.#queues.delete(key);
        this.#streaks.delete(key);
      }
    };
  }
}
