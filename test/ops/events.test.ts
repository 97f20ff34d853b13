import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import {
  createLocking,
  LockLostError,
  MemoryBackend,
  type LockBackend,
  type LockEventMap,
  type LockEventName,
  type Locking,
} from '../../src/index.js';
import { lockKeyFor } from '../../src/identifier.js';

type Recorded = { [E in LockEventName]: { name: E; event: LockEventMap[E] } }[LockEventName];

const ALL_EVENTS: LockEventName[] = [
  'acquired',
  'contended',
  'bailed',
  'stolen',
  'renewed',
  'renewalFailed',
  'lost',
  'released',
  'releaseFailed',
];

/** Every event a Locking emits, in order. */
function record(locking: Locking): Recorded[] {
  const seen: Recorded[] = [];
  for (const name of ALL_EVENTS) {
    locking.on(name, (event: unknown) => seen.push({ name, event } as Recorded));
  }
  return seen;
}

function only<E extends LockEventName>(seen: Recorded[], name: E): LockEventMap[E][] {
  return seen.filter((entry) => entry.name === name).map((entry) => entry.event as LockEventMap[E]);
}

describe('lifecycle events of a Locking instance', () => {
  const fast = { backoff: { initialMs: 5, maxMs: 20 } };

  // Two instances on one backend behave like two processes: the waiter polls the backend.
  function twoProcesses(): [Locking, Locking] {
    const shared = new MemoryBackend();
    return [
      createLocking({ backend: { strong: shared }, ...fast }),
      createLocking({ backend: { strong: shared }, ...fast }),
    ];
  }

  it('reports a contended acquisition with how long it waited and how many attempts it took', async () => {
    const [other, locking] = twoProcesses();
    const seen = record(locking);
    const first = await other.acquireOrThrow('report');
    const second = locking.acquire('report', { waitForMs: 5000 });
    await delay(60);
    await first.release();
    const held = (await second)!;
    await held.release();

    expect(seen.map((entry) => entry.name)).to.deep.equal(['contended', 'acquired', 'released']);
    const [waited] = only(seen, 'acquired');
    expect(waited).to.include({
      identifier: 'report',
      kind: 'strong',
      key: lockKeyFor('report'),
      stole: false,
    });
    expect(waited!.waitedMs).to.be.at.least(50);
    expect(waited!.attempts).to.be.at.least(2);
    expect(waited!.fencingToken).to.equal(held.fencingToken);
    expect(only(seen, 'released').map((event) => event.released)).to.deep.equal([true]);
  });

  it('reports contention between two callers of one instance', async () => {
    const locking = createLocking({ backend: 'memory', ...fast });
    const held = await locking.acquireOrThrow('local');
    const seen = record(locking);
    expect(await locking.acquire('local', { waitForMs: 30 })).to.equal(null);
    expect(seen.map((entry) => entry.name)).to.deep.equal(['contended', 'bailed']);
    await held.release();
  });

  it('reports a bail with its attempts', async () => {
    const [other, locking] = twoProcesses();
    const held = await other.acquireOrThrow('nightly');
    const seen = record(locking);
    expect(await locking.acquire('nightly', { wait: false })).to.equal(null);
    expect(seen.map((entry) => entry.name)).to.deep.equal(['contended', 'bailed']);
    expect(only(seen, 'bailed')[0]).to.include({ identifier: 'nightly', attempts: 1 });
    await held.release();
  });

  it('reports how long a released lock was held', async () => {
    const locking = createLocking({ backend: 'memory' });
    const seen = record(locking);
    const held = await locking.acquireOrThrow('report');
    await delay(60);
    await held.release();
    expect(only(seen, 'released')[0]).to.include({ identifier: 'report', released: true });
    expect(only(seen, 'released')[0]!.heldMs).to.be.at.least(50);
  });

  it('takes over an expired lock as "acquired" with stole: true, not as a steal', async () => {
    const [crashed, locking] = twoProcesses();
    await crashed.acquireOrThrow('cron', { leaseMs: 200, autoRenew: false });
    await delay(250);
    const seen = record(locking);
    const held = await locking.acquireOrThrow('cron', { wait: false });
    expect(only(seen, 'acquired')[0]!.stole).to.equal(true);
    // LockEventMap documents "stolen" for a *live* lock older than stealAfterMs only.
    expect(seen.map((entry) => entry.name)).to.deep.equal(['acquired']);
    await held.release();
  });

  it('reports renewals while the lock is held', async () => {
    const locking = createLocking({ backend: 'memory' });
    const seen = record(locking);
    const held = await locking.acquireOrThrow('long-job', { leaseMs: 300 });
    await delay(450); // renewals every 100 ms
    await held.release();
    const renewed = only(seen, 'renewed');
    expect(renewed.length).to.be.at.least(2);
    expect(renewed[0]).to.include({ identifier: 'long-job', kind: 'strong' });
    expect(only(seen, 'lost')).to.deep.equal([]);
  });

  it('tells the stealer "stolen" and the old holder "lost"; the old release deletes nothing', async () => {
    const shared = new MemoryBackend();
    const oldHolder = createLocking({ backend: { strong: shared } });
    const stealer = createLocking({ backend: { strong: shared } });
    const oldSeen = record(oldHolder);
    const newSeen = record(stealer);
    const victim = await oldHolder.acquireOrThrow('import', { leaseMs: 300 });
    await delay(20);
    const thief = await stealer.acquireOrThrow('import', { stealAfterMs: 10, wait: false });
    await delay(250); // the old holder's next renewal finds out

    expect(newSeen.map((entry) => entry.name)).to.deep.equal(['stolen', 'acquired']);
    expect(only(newSeen, 'acquired')[0]!.stole).to.equal(true);
    expect(only(newSeen, 'stolen')[0]!.fencingToken).to.equal(thief.fencingToken);
    const [lost] = only(oldSeen, 'lost');
    expect(lost!.error).to.be.instanceOf(LockLostError);
    expect(victim.signal.reason).to.equal(lost!.error);
    expect(await victim.release()).to.equal(false);
    expect(only(oldSeen, 'released').at(-1)).to.include({ released: false });
    expect(await thief.release()).to.equal(true);
  });

  it('reports failed renewals, then the loss once the lease runs out', async () => {
    const memory = new MemoryBackend();
    const flaky: LockBackend = {
      name: 'flaky',
      fenced: true,
      tryAcquire: (attempt) => memory.tryAcquire(attempt),
      renew: () => Promise.reject(new Error('service unavailable')),
      release: (key, lease) => memory.release(key, lease),
    };
    const locking = createLocking({ backend: { strong: flaky } });
    const seen = record(locking);
    const held = await locking.acquireOrThrow('sync', { leaseMs: 300 });
    await delay(500);
    const failures = only(seen, 'renewalFailed');
    expect(failures.length).to.be.at.least(1);
    expect(String(failures[0]!.error)).to.match(/service unavailable/);
    expect(only(seen, 'lost')).to.have.length(1);
    expect(held.held).to.equal(false);
    expect(seen.findIndex((entry) => entry.name === 'lost')).to.be.above(
      seen.findIndex((entry) => entry.name === 'renewalFailed'),
    );
  });

  it('costs nothing to listeners that are not there, and a throwing listener never breaks the lock', async () => {
    const locking = createLocking({ backend: 'memory' });
    const errors: unknown[] = [];
    const onUncaught = (error: unknown) => errors.push(error);
    process.prependListener('uncaughtException', onUncaught);
    const mocha = process
      .listeners('uncaughtException')
      .filter((listener) => listener !== onUncaught);
    for (const listener of mocha) process.off('uncaughtException', listener);
    try {
      locking.on('acquired', () => {
        throw new Error('listener bug');
      });
      const held = await locking.acquireOrThrow('robust');
      expect(await held.release()).to.equal(true);
      await delay(10);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of mocha) process.on('uncaughtException', listener);
    }
    expect(errors.map(String)).to.deep.equal(['Error: listener bug']);
  });
});
