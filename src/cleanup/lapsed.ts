import type { StoredRecord } from '../backends/datastore/record.js';

/**
 * Whether a record's lease ran out at least `graceMs` ago. On the server's clock where the
 * service gives one (the query's `readTime` against the record's `updateTime`): `expireAt` is the
 * writer's clock, and a holder whose clock runs behind ours would otherwise lose a live lock. The
 * legacy emulator gives no server time; there `expireAt` (which the query already checked against
 * this process's clock) is all there is.
 */
export function lapsedFor(
  stored: StoredRecord,
  readTimeMs: number | null,
  graceMs: number,
  nowMs = Date.now(),
): boolean {
  if (readTimeMs !== null && stored.updateTimeMs !== null) {
    return readTimeMs - stored.updateTimeMs >= stored.record.leaseMs + graceMs;
  }
  return nowMs - stored.record.expireAtMs >= graceMs;
}
