import { randomBytes } from 'node:crypto';
import type { Datastore } from '@google-cloud/datastore';
import { DatastoreRpc } from '../../../src/backends/datastore/rpc.js';
import { lockKey, newRecord, toEntity } from '../../../src/backends/datastore/record.js';
import { allRecordsQuery } from '../../../src/cleanup/query.js';
import { lockKeyFor } from '../../../src/identifier.js';

/** A kind name no other test uses, so suites never see each other's records. */
export function uniqueKind(label: string): string {
  return `Ops${label}${randomBytes(4).toString('hex')}`;
}

/**
 * Writes lock records the way the library encodes them, as if their holders had crashed:
 * `leaseMs` long, last written `agoMs` ago by the writer's clock. Setup only: batches of 500
 * upserts per commit, which the lock itself never does.
 */
export async function writeAbandonedRecords(
  datastore: Datastore,
  kindName: string,
  count: number,
  { leaseMs = 1, agoMs = 10 * 60_000, prefix = 'abandoned', namespace = '' } = {},
): Promise<string[]> {
  const identifiers = Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
  const writtenAt = Date.now() - agoMs;
  for (let start = 0; start < identifiers.length; start += 500) {
    const mutations = identifiers.slice(start, start + 500).map((identifier) => ({
      upsert: toEntity(
        lockKey(kindName, namespace, lockKeyFor(identifier)),
        newRecord(identifier, randomBytes(8).toString('hex'), leaseMs, writtenAt),
      ),
    }));
    await new Promise<void>((resolve, reject) => {
      (datastore as any).request_(
        { client: 'DatastoreClient', method: 'commit', reqOpts: { mutations }, gaxOpts: {} },
        (error: Error | null) => (error ? reject(error) : resolve()),
      );
    });
  }
  return identifiers;
}

/** Identifiers of every record of the kind. */
export async function storedIdentifiers(
  datastore: Datastore,
  kindName: string,
  namespace = '',
): Promise<string[]> {
  const rpc = new DatastoreRpc(datastore, 30_000);
  const identifiers: string[] = [];
  let cursor: Uint8Array | undefined;
  for (;;) {
    const page = await rpc.runQuery(namespace, allRecordsQuery(kindName, 1000, cursor));
    for (const result of page.entityResults) {
      identifiers.push(result.entity?.properties.identifier?.stringValue ?? '?');
    }
    if (page.entityResults.length === 0 || page.moreResults === 'NO_MORE_RESULTS')
      return identifiers;
    cursor = page.endCursor;
  }
}
