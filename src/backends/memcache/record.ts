/** What a WEAK lock stores under its memcached key. */
export interface MemcacheRecord {
  readonly token: string;
  /** `Date.now()` of the acquirer (memcached has no clock to read): the steal age counts from it. */
  readonly acquiredAt: number;
  readonly leaseMs: number;
}

/** What a WEAK lease carries: the CAS value of our last write. */
export interface MemcacheLeaseState {
  readonly cas: bigint;
}

/** memcached's item-size limit is 1 MB by default; a lock record is far below it. */
export function encodeRecord(record: MemcacheRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/**
 * Reads a stored record. Anything else under our key (a foreign or truncated value) reads as a
 * record of unknown age and holder: live until it expires, stealable by any `stealAfterMs`.
 */
export function decodeRecord(value: Buffer): MemcacheRecord {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<MemcacheRecord> | null;
    if (
      parsed &&
      typeof parsed.token === 'string' &&
      typeof parsed.acquiredAt === 'number' &&
      typeof parsed.leaseMs === 'number'
    ) {
      return { token: parsed.token, acquiredAt: parsed.acquiredAt, leaseMs: parsed.leaseMs };
    }
  } catch {
    // falls through to the unknown record
  }
  return { token: '', acquiredAt: 0, leaseMs: 0 };
}

/**
 * memcached expiry for a lease, in whole seconds: rounded up, plus one second, never 0.
 *
 * memcached reads 0 as "never expire". Its clock ticks once a second and an item set with expiry
 * N vanishes when that clock reaches now + N, which can be as early as N - 1 seconds later
 * (measured on memcached 1.6: expiry 1 s vanished after 450-998 ms, 2 s after 1312-2025 ms). The
 * extra second keeps the item alive for at least the whole lease the holder counts on. Leases are
 * capped below 2^31 ms (about 24.8 days), so this stays under memcached's 30-day limit past which
 * an expiry is read as a Unix time.
 */
export function expirySeconds(leaseMs: number): number {
  return Math.max(1, Math.ceil(leaseMs / 1000)) + 1;
}

/** Whether a record was acquired `stealAfterMs` or more ago (on this client's clock). */
export function isStealable(
  record: MemcacheRecord,
  stealAfterMs: number | undefined,
  nowMs: number,
): boolean {
  return stealAfterMs !== undefined && nowMs - record.acquiredAt >= stealAfterMs;
}
