import { fromEntityResult, lockKey, type StoredRecord } from '../backends/datastore/record.js';
import type { DatastoreRpc } from '../backends/datastore/rpc.js';
import { lockKeyFor } from '../identifier.js';
import { allRecordsQuery } from '../cleanup/query.js';
import { hasMorePages } from '../cleanup/query.js';

/** A lock record as an operator sees it, judged at one moment. */
export interface RecordView {
  readonly identifier: string;
  /** The Datastore key name: sha256 of the identifier. */
  readonly key: string;
  readonly fencingToken: string;
  readonly leaseMs: number;
  readonly ageMs: number;
  /** Negative once the lease has run out. */
  readonly leaseLeftMs: number;
  readonly expired: boolean;
  readonly acquiredAt: string;
  readonly expireAt: string;
  /** Whose clock judged it: the server's, or this machine's (the legacy emulator). */
  readonly clock: 'server' | 'client';
}

export interface Location {
  readonly kindName: string;
  readonly namespace: string;
}

/**
 * Judges a record the way the lock does: on the server's clock (read time against the record's
 * update time) where the service gives one, else on this machine's clock.
 */
export function viewOf(key: string, stored: StoredRecord, readTimeMs: number | null): RecordView {
  const { record } = stored;
  const server = readTimeMs !== null && stored.updateTimeMs !== null;
  const nowMs = server ? readTimeMs : Date.now();
  const lastWriteMs = server ? stored.updateTimeMs : record.renewedAtMs;
  const leaseLeftMs = record.leaseMs - (nowMs - lastWriteMs);
  return {
    identifier: record.identifier,
    key,
    fencingToken: String(stored.version),
    leaseMs: record.leaseMs,
    ageMs: nowMs - record.acquiredAtMs,
    leaseLeftMs,
    expired: leaseLeftMs <= 0,
    acquiredAt: new Date(record.acquiredAtMs).toISOString(),
    expireAt: new Date(record.expireAtMs).toISOString(),
    clock: server ? 'server' : 'client',
  };
}

/** Every record of the kind, page by page. */
export async function readAllRecords(rpc: DatastoreRpc, where: Location): Promise<RecordView[]> {
  const views: RecordView[] = [];
  let cursor: Uint8Array | undefined;
  for (;;) {
    const page = await rpc.runQuery(where.namespace, allRecordsQuery(where.kindName, 500, cursor));
    for (const result of page.entityResults) {
      const stored = fromEntityResult(result);
      const key = result.entity?.key.path.at(-1)?.name;
      if (stored && key) views.push(viewOf(key, stored, page.readTimeMs));
    }
    if (!hasMorePages(page.moreResults, page.entityResults.length, cursor, page.endCursor)) {
      return views;
    }
    cursor = page.endCursor;
  }
}

/** The record of one identifier, with its version, or `undefined`. */
export async function readRecord(
  rpc: DatastoreRpc,
  where: Location,
  identifier: string,
): Promise<{ view: RecordView; version: bigint } | undefined> {
  const key = lockKeyFor(identifier);
  const { found, readTimeMs } = await rpc.lookup(lockKey(where.kindName, where.namespace, key));
  const stored = fromEntityResult(found);
  return stored && { view: viewOf(key, stored, readTimeMs), version: stored.version };
}
