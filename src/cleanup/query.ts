import { msToTimestamp } from '../backends/datastore/rpc.js';

/**
 * A v1 query for records whose indexed `expireAt` is before `cutoffMs`. The inequality filter
 * orders results by `expireAt`, so the oldest records go first and a page cursor stays valid
 * while the records before it are deleted.
 */
export function expiredQuery(
  kindName: string,
  cutoffMs: number,
  limit: number,
  startCursor?: Uint8Array,
): object {
  return {
    kind: [{ name: kindName }],
    filter: {
      propertyFilter: {
        property: { name: 'expireAt' },
        op: 'LESS_THAN',
        value: { timestampValue: msToTimestamp(cutoffMs) },
      },
    },
    limit: { value: limit },
    ...(startCursor ? { startCursor } : {}),
  };
}

/** Every record of a kind, in key order (for listing). */
export function allRecordsQuery(kindName: string, limit: number, startCursor?: Uint8Array): object {
  return {
    kind: [{ name: kindName }],
    limit: { value: limit },
    ...(startCursor ? { startCursor } : {}),
  };
}

/**
 * Whether another page may follow. Datastore may answer NOT_FINISHED with a short (even empty)
 * batch; the legacy emulator answers MORE_RESULTS_AFTER_LIMIT even under the limit, then an empty
 * page. So: stop on NO_MORE_RESULTS, on an empty page that is not NOT_FINISHED, or when the
 * cursor did not move.
 */
export function hasMorePages(
  moreResults: string,
  resultCount: number,
  startCursor: Uint8Array | undefined,
  endCursor: Uint8Array | undefined,
): boolean {
  if (moreResults === 'NO_MORE_RESULTS' || !endCursor) return false;
  if (resultCount === 0 && moreResults !== 'NOT_FINISHED') return false;
  return !(startCursor && Buffer.from(startCursor).equals(Buffer.from(endCursor)));
}
