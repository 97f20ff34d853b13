/** WEAK locks: steals are CAS-conditioned, so racing stealers and old holders cannot clash. */
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import {
  createLocking,
  LOCK_KINDS,
  LockLostError,
  type Lock,
  type Locking,
} from '../../src/index.js';
import { inspectItem, memcacheKeyOf, sharedMemcache, uniqueId } from './support.js';

const kind = LOCK_KINDS.WEAK;

function tokenIn(value: string): string {
  return (JSON.parse(value) as { token: string }).token;
}

describe('WEAK locks: steals', () => {
  let servers: string;
  // Three instances, three memjs clients, three TCP connections: the stealers' requests really
  // interleave at memcached.
  let holder: Locking;
  let stealerA: Locking;
  let stealerB: Locking;
  before(() => {
    servers = sharedMemcache();
    holder = createLocking({ memcacheServers: servers });
    stealerA = createLocking({ memcacheServers: servers });
    stealerB = createLocking({ memcacheServers: servers });
  });
  after(async () => {
    await Promise.all([holder, stealerA, stealerB].map((locking) => locking.close()));
  });

  it('of two simultaneous stealers exactly one wins, 50 times over', async function () {
    this.timeout(120_000);
    // The old lock is 300 ms old and stealable (stealAfterMs 200); the winner's fresh lock is not,
    // so the loser can only win by overwriting a read that the winner already replaced.
    const stealAfterMs = 200;
    for (let round = 0; round < 50; round += 1) {
      const identifier = uniqueId('race');
      const old = await holder.acquireOrThrow(identifier, { kind, autoRenew: false });
      await delay(stealAfterMs + 100);
      const results = await Promise.all(
        [stealerA, stealerB].map((locking) =>
          locking.acquire(identifier, { kind, wait: false, stealAfterMs }),
        ),
      );
      const winners = results.filter((held): held is Lock => held !== null);
      expect(winners, `round ${round}: exactly one stealer wins`).to.have.length(1);
      // The loser's write was refused, not applied over the winner's: the winner still releases.
      expect(await winners[0]!.release(), `round ${round}: the winner's record is intact`).to.equal(
        true,
      );
      expect(await old.release(), `round ${round}: the old holder deletes nothing`).to.equal(false);
    }
  });

  it("a stolen lock's release deletes nothing and its renewal extends nothing", async () => {
    const identifier = uniqueId('stolen');
    const key = memcacheKeyOf(identifier);
    const old = await holder.acquireOrThrow(identifier, { kind, leaseMs: 900 });
    const oldToken = tokenIn((await inspectItem(servers, key))!.value);
    await delay(150);
    const thief = await stealerA.acquireOrThrow(identifier, { kind, stealAfterMs: 100 });
    const thiefToken = tokenIn((await inspectItem(servers, key))!.value);
    expect(thiefToken).to.not.equal(oldToken);
    // The old holder's next renewal (every 300 ms) finds someone else's token and gives up.
    const reason = await new Promise<unknown>((resolve) =>
      old.signal.addEventListener('abort', () => resolve(old.signal.reason), { once: true }),
    );
    expect(reason).to.be.instanceOf(LockLostError);
    expect(await old.release(), 'the old holder deleted nothing').to.equal(false);
    const after = await inspectItem(servers, key);
    expect(after, 'the thief still holds').to.not.equal(null);
    expect(tokenIn(after!.value)).to.equal(thiefToken);
    expect(await stealerB.acquire(identifier, { kind, wait: false })).to.equal(null);
    expect(await thief.release()).to.equal(true);
  });

  it('counts the steal age from acquisition, not from the last renewal', async () => {
    const identifier = uniqueId('age');
    const old = await holder.acquireOrThrow(identifier, { kind, leaseMs: 600 });
    // Renewed every 200 ms, but acquired 700 ms ago.
    await delay(700);
    expect(old.held).to.equal(true);
    const thief = await stealerA.acquire(identifier, { kind, wait: false, stealAfterMs: 500 });
    expect(thief, 'an old lock is stolen even while renewed').to.not.equal(null);
    const younger = await stealerB.acquire(identifier, { kind, wait: false, stealAfterMs: 500 });
    expect(younger, 'the fresh lock is left alone').to.equal(null);
    await thief!.release();
    await old.release();
  });
});
