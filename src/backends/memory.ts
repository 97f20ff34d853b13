import { performance } from 'node:perf_hooks';
import type { AcquireAttempt, AttemptResult, Lease, LockBackend } from './backend.js';

interface MemoryRecord {
  token: string;
  version: bigint;
  leaseMs: number;
  acquiredAt: number;
  writtenAt: number;
}

/**
 * An in-process backend with the same semantics as the real ones (leases, steals, fencing tokens),
 * for users' unit tests. It excludes only within one process.
 */
export class MemoryBackend implements LockBackend {
  readonly name = 'memory';
  readonly fenced = true;
  readonly #records = new Map<string, MemoryRecord>();
  // One counter for all keys keeps versions strictly increasing per key across delete + re-insert.
  #version = 0n;

  constructor(private readonly now: () => number = () => performance.now()) {}

  tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult> {
    const now = this.now();
    const existing = this.#records.get(attempt.key);
    if (existing && !this.#isTakeable(existing, now, attempt.stealAfterMs)) {
      return Promise.resolve({ acquired: false });
    }
    const overruled = !!existing && now - existing.writtenAt < existing.leaseMs;
    const record: MemoryRecord = {
      token: attempt.token,
      version: ++this.#version,
      leaseMs: attempt.leaseMs,
      acquiredAt: now,
      writtenAt: now,
    };
    this.#records.set(attempt.key, record);
    return Promise.resolve({
      acquired: true,
      lease: this.#leaseOf(record),
      stole: !!existing,
      overruled,
    });
  }

  renew(key: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
    const record = this.#current(key, lease);
    if (!record) return Promise.resolve(null);
    record.version = ++this.#version;
    record.leaseMs = leaseMs;
    record.writtenAt = this.now();
    return Promise.resolve(this.#leaseOf(record));
  }

  release(key: string, lease: Lease): Promise<boolean> {
    if (!this.#current(key, lease)) return Promise.resolve(false);
    this.#records.delete(key);
    return Promise.resolve(true);
  }

  /** How many records are stored (expired ones included): for tests. */
  get size(): number {
    return this.#records.size;
  }

  #current(key: string, lease: Lease): MemoryRecord | undefined {
    const record = this.#records.get(key);
    return record && record.version === lease.state ? record : undefined;
  }

  #isTakeable(record: MemoryRecord, now: number, stealAfterMs: number | undefined): boolean {
    if (now - record.writtenAt >= record.leaseMs) return true;
    return stealAfterMs !== undefined && now - record.acquiredAt >= stealAfterMs;
  }

  #leaseOf(record: MemoryRecord): Lease {
    return { token: record.token, fencingToken: record.version, state: record.version };
  }
}
