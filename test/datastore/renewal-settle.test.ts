/**
 * A renewal whose answer is lost is settled by reading the record back. If an earlier renewal of
 * ours applied late in the meantime, the record is ours at an unexpected version, but its lease
 * started before this renewal was sent: the backend must renew again rather than report it.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { ConditionalDatastoreBackend } from '../../src/backends/datastore/conditional.js';
import { lockKey, renewedRecord, toEntity } from '../../src/backends/datastore/record.js';
import { DatastoreRpc } from '../../src/backends/datastore/rpc.js';
import type { DatastoreLeaseState } from '../../src/backends/datastore/conditional.js';
import { lockKeyFor } from '../../src/identifier.js';
import { TEST_ENV } from '../support/env.js';
import { datastoreFor } from '../support/targets.js';

const deadlineExceeded = (): Error =>
  Object.assign(new Error('4 DEADLINE_EXCEEDED: answer lost'), { code: 4 });

describe('STRONG renewal whose answer was lost (Firestore emulator)', () => {
  const kindName = `SettleTest${Date.now()}`;

  it('renews once more when an earlier renewal of ours applied late', async () => {
    const rpc = new DatastoreRpc(datastoreFor(process.env[TEST_ENV.firestore]!), 5000);
    const backend = new ConditionalDatastoreBackend({ rpc, kindName, namespace: '' });
    const identifier = 'settle-late-renewal';
    const hashed = lockKeyFor(identifier);
    const attempt = await backend.tryAcquire({
      key: hashed,
      identifier,
      token: 'token-1',
      leaseMs: 5000,
      stealAfterMs: undefined,
      firstAttempt: true,
    });
    if (!attempt.acquired) throw new Error('not acquired');
    const state = attempt.lease.state as DatastoreLeaseState;
    // An earlier renewal of ours, delayed in the network, lands now.
    const key = lockKey(kindName, '', hashed);
    const late = await rpc.commit({
      update: toEntity(key, renewedRecord(state.record, 5000)),
      baseVersion: String(state.version),
      conflictResolutionStrategy: 'FAIL',
    });
    // This renewal's own answer is lost (it never reached the service).
    const commit = sinon.stub(rpc, 'commit');
    commit.onFirstCall().rejects(deadlineExceeded());
    commit.callThrough();
    const renewed = await backend
      .renew(hashed, attempt.lease, 5000)
      .finally(() => commit.restore());
    if (!renewed) throw new Error('the renewal reported the lock lost');
    expect(commit.callCount, 'a fresh renewal was written after settling').to.equal(2);
    const version = (renewed.state as DatastoreLeaseState).version;
    expect(version > late.version, 'the lease stands on a write sent after renew() began').to.equal(
      true,
    );
    expect(await backend.release(hashed, renewed)).to.equal(true);
  });

  it('reports a lease that has run out through `held` even before its timer fires', async () => {
    const { createLocking } = await import('../../src/index.js');
    const locking = createLocking({ backend: 'memory' });
    const held = await locking.acquireOrThrow('starved', { leaseMs: 200, autoRenew: false });
    const until = performance.now() + 250;
    while (performance.now() < until) {
      // Busy-wait: the event loop is starved, so the lease timer cannot run.
    }
    expect(held.signal.aborted, 'the timer has not run yet').to.equal(false);
    expect(held.held).to.equal(false);
    expect(held.signal.aborted).to.equal(true);
    await held.release();
  });
});
