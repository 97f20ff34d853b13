/**
 * WEAK locks when memcached fails: stopped mid-hold, down at acquire time, frozen, restarted.
 * Each test runs against its own memcached (never the shared one) and stops it on purpose.
 */
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { startMemcached, type RunningMemcached } from '../../emulator/memcached.js';
import {
  createLocking,
  LOCK_KINDS,
  LockBackendError,
  LockLostError,
  type Locking,
} from '../../src/index.js';
import { uniqueId, watchUnhandledRejections } from './support.js';

const kind = LOCK_KINDS.WEAK;
/** The bound the issue sets for a call on an unreachable memcached. */
const FAIL_FAST_MS = 1500;

async function timed(work: () => Promise<unknown>): Promise<{ outcome: unknown; ms: number }> {
  const startedAt = performance.now();
  const outcome = await work().catch((error: unknown) => error);
  return { outcome, ms: performance.now() - startedAt };
}

function expectBackendError(outcome: unknown): void {
  expect(outcome).to.be.instanceOf(LockBackendError);
  expect((outcome as Error).message).to.match(/MEMCACHE_SERVERS/);
  expect((outcome as Error).message).to.match(/memcached is running/);
}

describe('WEAK locks: memcached faults', function () {
  this.timeout(60_000);
  let memcached: RunningMemcached | undefined;
  let locking: Locking;
  let rejections: ReturnType<typeof watchUnhandledRejections>;

  beforeEach(async () => {
    rejections = watchUnhandledRejections();
    memcached = await startMemcached();
    locking = createLocking({ memcacheServers: memcached.servers });
  });
  afterEach(async () => {
    await locking.close();
    if (memcached?.process.child.pid) {
      try {
        process.kill(memcached.process.child.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await memcached?.stop();
    // Stray rejections surface a tick later: give them the chance before checking.
    await delay(50);
    rejections.stop();
    expect(rejections.seen, 'no unhandled rejection').to.deep.equal([]);
  });

  it('memcached stopped mid-hold: renewal fails, the signal says lost, release resolves', async () => {
    const leaseMs = 1000;
    const held = await locking.acquireOrThrow(uniqueId('mid-hold'), { kind, leaseMs });
    const lost = new Promise<unknown>((resolve) =>
      held.signal.addEventListener('abort', () => resolve(held.signal.reason), { once: true }),
    );
    const failures: unknown[] = [];
    locking.on('renewalFailed', ({ error }) => failures.push(error));
    await memcached!.stop();
    const stoppedAt = performance.now();
    const reason = await lost;
    // Lost when the lease runs out without a confirmed renewal: within about one lease.
    expect(performance.now() - stoppedAt).to.be.below(leaseMs + 500);
    expect(reason).to.be.instanceOf(LockLostError);
    expect(failures.length, 'renewal was tried and failed').to.be.at.least(1);
    expectBackendError(failures[0]);
    expect(await held.release(), 'release resolves; it deleted nothing').to.equal(false);
  });

  it('memcached down at acquire time: every form rejects with LockBackendError, fast', async () => {
    await memcached!.stop();
    const attempts = [
      () => locking.acquire(uniqueId('down'), { kind }),
      () => locking.acquireOrThrow(uniqueId('down'), { kind }),
      () => locking.withLock(uniqueId('down'), { kind }, () => 'ran'),
      () => locking.lock(uniqueId('down'), { kind })(() => 'ran')(),
    ];
    for (const attempt of attempts) {
      const { outcome, ms } = await timed(attempt);
      expectBackendError(outcome);
      expect(ms).to.be.below(FAIL_FAST_MS);
    }
  });

  it('memcached frozen (accepts connections, never answers): calls fail within the bound', async () => {
    // A long lease: the release below must meet the frozen server, not a lease already lost.
    const held = await locking.acquireOrThrow(uniqueId('frozen-held'), { kind, leaseMs: 10_000 });
    process.kill(memcached!.process.child.pid!, 'SIGSTOP');
    const acquire = await timed(() => locking.acquire(uniqueId('frozen'), { kind }));
    expectBackendError(acquire.outcome);
    expect(acquire.ms).to.be.below(FAIL_FAST_MS);
    const release = await timed(() => held.release());
    expectBackendError(release.outcome);
    expect(release.ms).to.be.below(FAIL_FAST_MS);
  });

  it('memcached restarted on the same port: locks work again on the same instance', async () => {
    const identifier = uniqueId('restart');
    const before = await locking.acquireOrThrow(identifier, { kind, leaseMs: 1000 });
    const { port } = memcached!;
    await memcached!.stop();
    const down = await timed(() => locking.acquire(uniqueId('restart-down'), { kind }));
    expectBackendError(down.outcome);
    memcached = await startMemcached({ port });
    const other = createLocking({ memcacheServers: memcached.servers });
    try {
      const fresh = uniqueId('restart-fresh');
      const after = await locking.acquire(fresh, { kind, wait: false });
      expect(after, 'acquired through the same client after the restart').to.not.equal(null);
      expect(await other.acquire(fresh, { kind, wait: false }), 'and it excludes').to.equal(null);
      expect(await after!.release()).to.equal(true);
      // What WEAK does not promise: the restart wiped the old holder's record, so another
      // process gets that lock while the old holder has not yet heard it lost it.
      const taken = await other.acquire(identifier, { kind, wait: false });
      expect(taken, 'a restart frees every lock').to.not.equal(null);
      await taken!.release();
    } finally {
      await other.close();
    }
    // The old holder's release finds someone else's record or none: it deletes nothing, throws nothing.
    expect(await before.release()).to.equal(false);
  });
});

describe('WEAK locks: a server that hangs up without answering', () => {
  it('a request in flight when memcached shuts down fails within the bound, never hangs', async () => {
    const rejections = watchUnhandledRejections();
    // Like memcached shutting down: it reads the request, closes the connection, stops listening.
    // memjs alone never calls back in this case.
    const server = createServer((socket) =>
      socket.once('data', () => {
        socket.end();
        server.close();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const locking = createLocking({ memcacheServers: `127.0.0.1:${port}` });
    try {
      const { outcome, ms } = await timed(() => locking.acquire(uniqueId('hang-up'), { kind }));
      expectBackendError(outcome);
      expect(ms).to.be.below(FAIL_FAST_MS);
      await delay(50);
      expect(rejections.seen, 'no unhandled rejection').to.deep.equal([]);
    } finally {
      rejections.stop();
      server.close();
      await locking.close();
    }
  });
});
