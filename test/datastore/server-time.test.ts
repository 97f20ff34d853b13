/**
 * On Firestore in Datastore mode a lock's age and lease are judged on the server's clock, so a
 * holder whose clock is wrong by minutes neither loses its lock early nor keeps it too long. The
 * skewed holder is played by writing the record exactly as its clock would have written it.
 */
import { expect } from 'chai';
import { lockKey, newRecord, toEntity } from '../../src/backends/datastore/record.js';
import { DatastoreRpc } from '../../src/backends/datastore/rpc.js';
import { lockKeyFor } from '../../src/identifier.js';
import { DEFAULT_LOCKING } from '../../src/locking-options.js';
import { LOCK_KINDS } from '../../src/index.js';
import { TEST_ENV } from '../support/env.js';
import { datastoreFor, lockingFor } from '../support/targets.js';

describe('STRONG on the Firestore emulator judges time on the server', () => {
  const host = process.env[TEST_ENV.firestore]!;
  const spec = { backend: 'datastore', protocol: 'conditional', host } as const;
  const kind = LOCK_KINDS.STRONG;
  const rpc = new DatastoreRpc(datastoreFor(host), 5000);

  /** Inserts a lock record as a holder whose clock is `skewMs` off would. */
  async function insertAsSkewedHolder(
    identifier: string,
    skewMs: number,
    leaseMs: number,
  ): Promise<void> {
    const key = lockKey(DEFAULT_LOCKING.kindName, '', lockKeyFor(identifier));
    await rpc.commit({
      insert: toEntity(key, newRecord(identifier, 'skewed-holder', leaseMs, Date.now() + skewMs)),
    });
  }

  for (const skewMs of [-10 * 60_000, 10 * 60_000]) {
    it(`a holder whose clock is ${skewMs / 60_000} minutes off is neither stolen early nor taken as lapsed`, async () => {
      const other = lockingFor(spec);
      const id = `server-time:${skewMs}:${Date.now()}`;
      await insertAsSkewedHolder(id, skewMs, 60_000);
      // A second old by the server's clock: not stealable after 30 s, and its lease is live.
      expect(await other.acquire(id, { kind, wait: false, stealAfterMs: 30_000 })).to.equal(null);
      expect(await other.acquire(id, { kind, wait: false })).to.equal(null);
      await other.close();
    });
  }

  it('steals by server age: a lock acquired 1.2 s ago is stealable after 1 s, whatever its holder clock said', async () => {
    const thief = lockingFor(spec);
    const id = `server-time:steal:${Date.now()}`;
    await insertAsSkewedHolder(id, 10 * 60_000, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const stolen = await thief.acquire(id, { kind, wait: false, stealAfterMs: 1000 });
    expect(stolen).to.not.equal(null);
    await stolen!.release();
    await thief.close();
  });
});
