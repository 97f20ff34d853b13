import { randomBytes } from 'node:crypto';
import type { Client as MemjsClient } from 'memjs';
import { createLocking, LOCK_KINDS, type Locking, type LockKind } from '../src/index.js';
import { lockKey, newRecord, toEntity } from '../src/backends/datastore/record.js';
import { DatastoreRpc } from '../src/backends/datastore/rpc.js';
import { lockKeyFor } from '../src/identifier.js';
import { countedDatastore, countedMemcache, loadDatastoreLock } from './clients.js';
import type { RequestCounter } from './request-counter.js';

/** One way of taking and giving back a lock, measured one full cycle at a time. */
export interface Contender {
  readonly name: string;
  cycle(identifier: string): Promise<void>;
}

export const STRONG_CONTENDERS = [
  'floor',
  'floor + conditional delete',
  'conditional',
  'transaction',
  'datastore-lock',
] as const;
export const WEAK_CONTENDERS = ['memcached floor', 'WEAK'] as const;
export type StrongContenderName = (typeof STRONG_CONTENDERS)[number];
export type WeakContenderName = (typeof WEAK_CONTENDERS)[number];

/** Kind of the records the bench writes (the library's default kind is left alone). */
export const BENCH_KIND = 'GcpLockingBench';
const LEASE_MS = 30_000;

/**
 * The STRONG contenders on one emulator. The floor and both of our protocols share one client,
 * so they pay the same client costs; the floor writes the very entity our lock writes (same key
 * shape and properties) with a plain insert and a plain delete: what any lock must at least send.
 */
export function strongContenders(host: string, counter: RequestCounter): Contender[] {
  // First: it sets DATASTORE_EMULATOR_HOST, which also keeps our client off the metadata server.
  const DatastoreLock = loadDatastoreLock(host, counter);
  const datastore = countedDatastore(host, counter);
  const rpc = new DatastoreRpc(datastore, 10_000);
  const ours = (protocol: 'conditional' | 'transaction'): Locking =>
    createLocking({ datastore, protocol, kindName: BENCH_KIND });
  const byName: Record<StrongContenderName, Contender['cycle']> = {
    floor: async (identifier) => {
      const key = lockKey(BENCH_KIND, '', lockKeyFor(identifier));
      const token = randomBytes(16).toString('base64url');
      await rpc.commit({ insert: toEntity(key, newRecord(identifier, token, LEASE_MS)) });
      await rpc.commit({ delete: key });
    },
    // Diagnostic between the floor and our conditional protocol: the same two commits with what
    // the protocol adds on the server's side (the release's baseVersion + FAIL condition, which
    // keeps a release from deleting someone else's lock); what remains is client CPU.
    'floor + conditional delete': async (identifier) => {
      const key = lockKey(BENCH_KIND, '', lockKeyFor(identifier));
      const token = randomBytes(16).toString('base64url');
      const { version } = await rpc.commit({
        insert: toEntity(key, newRecord(identifier, token, LEASE_MS)),
      });
      await rpc.commit({
        delete: key,
        baseVersion: String(version),
        conflictResolutionStrategy: 'FAIL',
      });
    },
    conditional: lockingCycle(ours('conditional')),
    transaction: lockingCycle(ours('transaction')),
    'datastore-lock': async (identifier) => {
      const lock = new DatastoreLock('bench', identifier);
      if (!(await lock.acquire())) throw new Error(`datastore-lock did not acquire ${identifier}`);
      if (!(await lock.release())) throw new Error(`datastore-lock did not release ${identifier}`);
    },
  };
  return STRONG_CONTENDERS.map((name) => ({ name, cycle: byName[name] }));
}

/**
 * The WEAK contenders on one memcached: the floor is what our WEAK cycle sends (add to take it;
 * get, then delete, to give it back) as plain memjs calls without the CAS condition.
 */
export function weakContenders(servers: string, counter: RequestCounter): Contender[] {
  const client = countedMemcache(servers, counter);
  const byName: Record<WeakContenderName, Contender['cycle']> = {
    'memcached floor': async (identifier) => {
      const key = `bench-floor:${lockKeyFor(identifier)}`;
      const value = JSON.stringify({
        token: randomBytes(16).toString('base64url'),
        leaseMs: LEASE_MS,
      });
      if (!(await client.add(key, value, { expires: LEASE_MS / 1000 }))) {
        throw new Error(`memcached add found ${key} taken`);
      }
      await client.get(key);
      await client.delete(key);
    },
    WEAK: lockingCycle(weakLocking(client), LOCK_KINDS.WEAK),
  };
  return WEAK_CONTENDERS.map((name) => ({ name, cycle: byName[name] }));
}

export function weakLocking(client: MemjsClient): Locking {
  return createLocking({ memcache: client, memcacheKeyPrefix: 'gcp-locking-bench:' });
}

function lockingCycle(locking: Locking, kind: LockKind = LOCK_KINDS.STRONG): Contender['cycle'] {
  return async (identifier) => {
    const held = await locking.acquireOrThrow(identifier, { kind, wait: false });
    if (!(await held.release())) throw new Error(`release of ${identifier} deleted nothing`);
  };
}
