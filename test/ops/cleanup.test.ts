import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import sinon from 'sinon';
import { DatastoreRpc } from '../../src/backends/datastore/rpc.js';
import { cleanupLocks, type Lock } from '../../src/index.js';
import { datastoreFor, lockingFor } from '../support/targets.js';
import { emulators } from './support/emulators.js';
import { storedIdentifiers, uniqueKind, writeAbandonedRecords } from './support/records.js';

for (const [label, host] of emulators()) {
  const firestore = label.startsWith('Firestore');

  describe(`cleanupLocks on the ${label}`, function () {
    this.timeout(120_000);
    const datastore = datastoreFor(host);
    afterEach(() => sinon.restore());

    it('deletes 2,000 abandoned locks and leaves 50 held ones untouched', async () => {
      const kindName = uniqueKind('Bulk');
      const locking = lockingFor({ backend: 'datastore', host }, { kindName });
      // Five real holders that "crashed": short leases, never renewed, never released.
      for (let i = 0; i < 5; i += 1) {
        await locking.acquireOrThrow(`crashed:${i}`, { leaseMs: 200, autoRenew: false });
      }
      await writeAbandonedRecords(datastore, kindName, 1995);
      const held: Lock[] = [];
      for (let i = 0; i < 50; i += 1) {
        held.push(
          await locking.acquireOrThrow(`live:${i}`, { leaseMs: 120_000, autoRenew: false }),
        );
      }
      await delay(400); // the crashed holders' 200 ms leases, plus the 100 ms grace

      const result = await cleanupLocks({ datastore, kindName, graceMs: 100, batchSize: 500 });

      expect(result).to.deep.equal({ scanned: 2000, deleted: 2000, skipped: 0, complete: true });
      const left = await storedIdentifiers(datastore, kindName);
      expect(left.sort()).to.deep.equal(held.map((lock) => lock.identifier).sort());
      // Untouched means the same version: each holder can still release its own record.
      const released = await Promise.all(held.map((lock) => lock.release()));
      expect(released.every(Boolean)).to.equal(true);
      await locking.close();
    });

    it('leaves a lock that is re-acquired between the scan and the delete', async () => {
      const kindName = uniqueKind('Race');
      const [victim, ...others] = await writeAbandonedRecords(datastore, kindName, 20);
      const locking = lockingFor({ backend: 'datastore', host }, { kindName });
      let reacquired: Lock | undefined;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each instance below
      const runQuery = DatastoreRpc.prototype.runQuery;
      sinon.stub(DatastoreRpc.prototype, 'runQuery').callsFake(async function (
        this: DatastoreRpc,
        ...args
      ) {
        const page = await runQuery.apply(this, args);
        // The page is read; now a worker takes over the expired record before the sweep deletes it.
        reacquired ??= await locking.acquireOrThrow(victim!, { wait: false, autoRenew: false });
        return page;
      });

      const result = await cleanupLocks({ datastore, kindName, graceMs: 0 });

      expect(reacquired, 'the takeover happened').to.not.equal(undefined);
      expect(result).to.deep.equal({ scanned: 20, deleted: 19, skipped: 1, complete: true });
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([victim]);
      expect(others).to.have.length(19);
      expect(await reacquired!.release(), 'the new holder still owns its record').to.equal(true);
      await locking.close();
    });

    it('stops cleanly at a deadline shorter than the work, and a second run finishes it', async () => {
      const kindName = uniqueKind('Deadline');
      await writeAbandonedRecords(datastore, kindName, 300);
      // A slow service: every page takes 300 ms more, so 700 ms allow at most three pages of 20.
      // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each instance below
      const runQuery = DatastoreRpc.prototype.runQuery;
      const slow = sinon.stub(DatastoreRpc.prototype, 'runQuery').callsFake(async function (
        this: DatastoreRpc,
        ...args
      ) {
        await delay(300);
        return runQuery.apply(this, args);
      });

      const startedAt = performance.now();
      const first = await cleanupLocks({
        datastore,
        kindName,
        graceMs: 0,
        batchSize: 20,
        deadlineMs: 700,
      });
      const elapsedMs = performance.now() - startedAt;
      slow.restore();

      expect(first.complete).to.equal(false);
      expect(first.deleted).to.be.below(300);
      expect(first.deleted + first.skipped).to.equal(first.scanned);
      // Stopping "before the deadline" allows for the one slow page already under way.
      expect(elapsedMs).to.be.below(700 + 300 + 1000);
      const second = await cleanupLocks({ datastore, kindName, graceMs: 0 });
      expect(second.complete).to.equal(true);
      // A delete cut off by the deadline counts as skipped, yet the service may have applied it.
      expect(first.deleted + second.deleted).to.be.within(300 - first.skipped, 300);
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([]);
    });

    it('can run from two places at once: every record is deleted exactly once', async () => {
      const kindName = uniqueKind('Twice');
      await writeAbandonedRecords(datastore, kindName, 400);

      const [a, b] = await Promise.all([
        cleanupLocks({ datastore, kindName, graceMs: 0, batchSize: 100 }),
        cleanupLocks({ datastore: datastoreFor(host), kindName, graceMs: 0, batchSize: 100 }),
      ]);

      expect(a.deleted + b.deleted).to.equal(400);
      expect(a.complete && b.complete).to.equal(true);
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([]);
      const again = await cleanupLocks({ datastore, kindName, graceMs: 0 });
      expect(again).to.deep.equal({ scanned: 0, deleted: 0, skipped: 0, complete: true });
    });

    it('keeps records within the grace period', async () => {
      const kindName = uniqueKind('Grace');
      await writeAbandonedRecords(datastore, kindName, 3, { leaseMs: 1000, agoMs: 2000 });
      const result = await cleanupLocks({ datastore, kindName, graceMs: 60_000 });
      expect(result).to.deep.equal({ scanned: 0, deleted: 0, skipped: 0, complete: true });
      expect(await storedIdentifiers(datastore, kindName)).to.have.length(3);
    });

    if (firestore) {
      it("judges a record on the server's clock when its writer's clock ran behind", async () => {
        const kindName = uniqueKind('Skew');
        // expireAt says "10 minutes ago", but the server wrote it just now with a 60 s lease.
        await writeAbandonedRecords(datastore, kindName, 4, {
          leaseMs: 60_000,
          agoMs: 10 * 60_000,
        });
        const result = await cleanupLocks({ datastore, kindName, graceMs: 1000 });
        expect(result).to.deep.equal({ scanned: 4, deleted: 0, skipped: 4, complete: true });
        expect(await storedIdentifiers(datastore, kindName)).to.have.length(4);
      });
    } else {
      it("falls back to the writer's clock where the service gives no server time", async () => {
        const kindName = uniqueKind('Skew');
        await writeAbandonedRecords(datastore, kindName, 4, {
          leaseMs: 60_000,
          agoMs: 10 * 60_000,
        });
        const result = await cleanupLocks({ datastore, kindName, graceMs: 1000 });
        expect(result).to.deep.equal({ scanned: 4, deleted: 4, skipped: 0, complete: true });
      });
    }

    it('takes the client, kind name and namespace from a Locking instance', async () => {
      const kindName = uniqueKind('Ns');
      const namespace = 'ops-cleanup';
      await writeAbandonedRecords(datastore, kindName, 5, { namespace });
      await writeAbandonedRecords(datastore, kindName, 2); // same kind, default namespace
      const locking = lockingFor({ backend: 'datastore', host }, { kindName, namespace });
      const result = await cleanupLocks({ locking, graceMs: 0 });
      expect(result.deleted).to.equal(5);
      expect(await storedIdentifiers(datastore, kindName, namespace)).to.deep.equal([]);
      expect(await storedIdentifiers(datastore, kindName)).to.have.length(2);
    });
  });
}

describe('cleanupLocks options', () => {
  const bad: [string, object, RegExp][] = [
    ['a negative graceMs', { graceMs: -1 }, /"graceMs"/],
    ['a fractional batchSize', { batchSize: 1.5 }, /"batchSize"/],
    ['a zero concurrency', { concurrency: 0 }, /"concurrency"/],
    ['an unknown option', { grace: 5 }, /Unknown option "grace"/],
    ['a memory-backed Locking', { locking: lockingFor({ backend: 'memory' }) }, /memory backend/],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what} before touching Datastore`, async () => {
      let error: unknown;
      try {
        await cleanupLocks(options);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(Error).with.property('message').that.matches(message);
    });
  }

  it('fails with a clear LockBackendError when Datastore cannot be reached', async () => {
    const unreachable = datastoreFor('127.0.0.1:9'); // discard port: nothing listens
    let error: any;
    try {
      await cleanupLocks({
        datastore: unreachable,
        kindName: 'Nowhere',
        rpcTimeoutMs: 2000,
        deadlineMs: 5000,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error?.name).to.equal('LockBackendError');
    expect(error.message).to.match(
      /Lock cleanup of kind "Nowhere" stopped .*check that Datastore is reachable/s,
    );
  });
});
