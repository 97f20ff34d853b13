import { expect } from 'chai';
import sinon from 'sinon';
import {
  createLocking,
  LockBackendError,
  LockLostError,
  MemoryBackend,
  type LockBackend,
} from '../../src/index.js';

/** A memory backend whose steps can be made to fail: fault injection for the lock's life. */
function faultyBackend(): { backend: LockBackend; memory: MemoryBackend } {
  const memory = new MemoryBackend();
  const backend: LockBackend = {
    name: 'faulty',
    fenced: true,
    tryAcquire: (attempt) => memory.tryAcquire(attempt),
    renew: (key, lease, leaseMs) => memory.renew(key, lease, leaseMs),
    release: (key, lease) => memory.release(key, lease),
  };
  return { backend, memory };
}

const outage = (): Error =>
  Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 });

describe('the lock life cycle', () => {
  it('renews every leaseMs / 3 while held', async () => {
    const { backend } = faultyBackend();
    const renew = sinon.spy(backend, 'renew');
    const locking = createLocking({ backend: { strong: backend } });
    const held = await locking.acquireOrThrow('renews', { leaseMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(renew.callCount, 'every 100 ms over 750 ms').to.be.within(5, 8);
    expect(held.held).to.equal(true);
    await held.release();
  });

  it('reports a lock lost when renewal keeps failing for a whole lease, and never throws from a timer', async () => {
    const { backend } = faultyBackend();
    const unhandled = sinon.spy();
    process.on('unhandledRejection', unhandled);
    try {
      const locking = createLocking({ backend: { strong: backend } });
      const failures: unknown[] = [];
      locking.on('renewalFailed', (event) => failures.push(event.error));
      const held = await locking.acquireOrThrow('renewal-fails', { leaseMs: 300 });
      sinon.stub(backend, 'renew').rejects(outage());
      const reason = await new Promise((resolve) =>
        held.signal.addEventListener('abort', () => resolve(held.signal.reason)),
      );
      expect(reason).to.be.instanceOf(LockLostError);
      expect((reason as Error).message).to.match(/lease of 300 ms ran out/);
      expect(failures.length).to.be.at.least(1);
      sinon.stub(backend, 'release').rejects(outage());
      expect(await held.release(), 'release of a lost lock resolves').to.equal(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.called).to.equal(false);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('rejects release() with LockBackendError when the service fails while the lock is ours', async () => {
    const { backend } = faultyBackend();
    const locking = createLocking({ backend: { strong: backend } });
    const held = await locking.acquireOrThrow('release-fails');
    sinon.stub(backend, 'release').rejects(outage());
    let error: unknown;
    await held.release().catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(LockBackendError);
    expect((error as Error).message).to.match(/lapse by itself/);
    expect((error as LockBackendError).cause).to.have.property('code', 14);
    expect(await held.release(), 'a second release resolves false').to.equal(false);
  });

  it("never hides the work's own error behind a failed release", async () => {
    const { backend } = faultyBackend();
    const locking = createLocking({ backend: { strong: backend } });
    const releaseFailures: unknown[] = [];
    locking.on('releaseFailed', (event) => releaseFailures.push(event.error));
    sinon.stub(backend, 'release').rejects(outage());
    const workError = new Error('card declined');
    let error: unknown;
    await locking
      .withLock('work-fails', () => {
        throw workError;
      })
      .catch((caught: unknown) => (error = caught));
    expect(error).to.equal(workError);
    expect(releaseFailures).to.have.length(1);
    expect(releaseFailures[0]).to.be.instanceOf(LockBackendError);
  });

  it('resolves the work result when only the release fails, and reports the release failure', async () => {
    const { backend } = faultyBackend();
    const locking = createLocking({ backend: { strong: backend } });
    const releaseFailures: unknown[] = [];
    locking.on('releaseFailed', (event) => releaseFailures.push(event.error));
    sinon.stub(backend, 'release').rejects(outage());
    expect(await locking.lock('charge:1')(() => 'charged')()).to.equal('charged');
    expect(releaseFailures).to.have.length(1);
  });

  it('wraps a backend failure during acquisition in LockBackendError with its cause', async () => {
    const { backend } = faultyBackend();
    sinon.stub(backend, 'tryAcquire').rejects(outage());
    const locking = createLocking({ backend: { strong: backend } });
    let error: unknown;
    await locking.acquire('acquire-fails').catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(LockBackendError);
    expect((error as LockBackendError).identifier).to.equal('acquire-fails');
    // The local queue was left: the next caller is not stuck behind the failed one.
    (backend.tryAcquire as sinon.SinonStub).restore();
    const held = await locking.acquire('acquire-fails', { wait: false });
    expect(held).to.not.equal(null);
    await held!.release();
  });

  it('lets only one local waiter poll the backend and hands a local release straight to the next', async () => {
    const { backend } = faultyBackend();
    const tryAcquire = sinon.spy(backend, 'tryAcquire');
    const locking = createLocking({ backend: { strong: backend } });
    const first = await locking.acquireOrThrow('queue');
    const waiters = Array.from({ length: 5 }, () => locking.acquireOrThrow('queue'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tryAcquire.callCount, 'local waiters do not poll while a local holder has it').to.equal(
      1,
    );
    await first.release();
    for (const waiter of waiters) {
      const held = await waiter;
      await held.release();
    }
    expect(tryAcquire.callCount).to.equal(6, 'one backend attempt per acquisition');
  });

  it('emits acquired, contended, bailed, released events with their figures', async () => {
    const locking = createLocking({ backend: 'memory' });
    const events: string[] = [];
    locking.on('acquired', (e) => events.push(`acquired:${e.attempts}`));
    locking.on('contended', () => events.push('contended'));
    locking.on('bailed', () => events.push('bailed'));
    locking.on('released', (e) => events.push(`released:${e.released}`));
    const held = await locking.acquireOrThrow('events', { stealAfterMs: 60_000 });
    await locking.acquire('events', { wait: false, stealAfterMs: 60_000 });
    await held.release();
    expect(events).to.deep.equal(['acquired:1', 'contended', 'bailed', 'released:true']);
  });

  it('does not starve another process while this one always has a local waiter', async () => {
    const shared = new MemoryBackend();
    const busy = createLocking({ backend: { strong: shared } });
    const other = createLocking({ backend: { strong: shared } });
    let running = true;
    const loop = async (): Promise<void> => {
      while (running) {
        await busy.withLock('fair', () => new Promise((resolve) => setTimeout(resolve, 5)));
      }
    };
    const loops = [loop(), loop()];
    try {
      const held = await other.acquire('fair', { waitForMs: 5000 });
      expect(held, 'the other process got its turn').to.not.equal(null);
      await held!.release();
    } finally {
      running = false;
      await Promise.all(loops);
    }
  });
});
