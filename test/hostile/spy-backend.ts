import type { AcquireAttempt, AttemptResult, Lease, LockBackend } from '../../src/index.js';
import { MemoryBackend } from '../../src/index.js';

/**
 * A LockBackend that records every call and checks each value it is handed, delegating to a
 * MemoryBackend. Hostile-input tests use it to prove that a bad value never reaches a backend.
 */
export class SpyBackend implements LockBackend {
  readonly name = 'spy';
  readonly fenced = true;
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Values a real backend could not store: filled in by `check`. */
  readonly bad: string[] = [];
  readonly #inner = new MemoryBackend();

  tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult> {
    this.calls.push({ method: 'tryAcquire', args: [attempt] });
    this.#check(attempt.leaseMs, attempt.stealAfterMs, attempt.key, attempt.identifier);
    return this.#inner.tryAcquire(attempt);
  }

  renew(key: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
    this.calls.push({ method: 'renew', args: [key, lease, leaseMs] });
    this.#check(leaseMs, undefined, key, undefined);
    return this.#inner.renew(key, lease, leaseMs);
  }

  release(key: string, lease: Lease): Promise<boolean> {
    this.calls.push({ method: 'release', args: [key, lease] });
    return this.#inner.release(key, lease);
  }

  #check(
    leaseMs: number,
    stealAfterMs: number | undefined,
    key: string,
    identifier: string | undefined,
  ): void {
    if (!Number.isFinite(leaseMs) || leaseMs < 200 || leaseMs > 2 ** 31 - 1)
      this.bad.push(`leaseMs ${leaseMs}`);
    if (stealAfterMs !== undefined && (!Number.isFinite(stealAfterMs) || stealAfterMs < 0)) {
      this.bad.push(`stealAfterMs ${stealAfterMs}`);
    }
    if (!/^[0-9a-f]{64}$/.test(key)) this.bad.push(`key ${key}`);
    if (
      identifier !== undefined &&
      (typeof identifier !== 'string' ||
        identifier.length === 0 ||
        !(identifier as string & { isWellFormed(): boolean }).isWellFormed())
    ) {
      this.bad.push(`identifier ${JSON.stringify(identifier)}`);
    }
  }
}
