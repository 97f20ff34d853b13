/** WEAK locks: what lands in memcached (key, value, expiry) for the identifiers users pass. */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { createLocking, LOCK_KINDS, type Locking } from '../../src/index.js';
import { expirySeconds } from '../../src/backends/memcache/record.js';
import { inspectItem, memcacheKeyOf, sharedMemcache, uniqueId } from './support.js';

const kind = LOCK_KINDS.WEAK;

describe('WEAK locks: keys and expiry', () => {
  let servers: string;
  let locking: Locking;
  let other: Locking;
  before(() => {
    servers = sharedMemcache();
    locking = createLocking({ memcacheServers: servers });
    other = createLocking({ memcacheServers: servers });
  });
  after(async () => {
    await Promise.all([locking.close(), other.close()]);
  });

  it('stores a lock under the prefix and a hash, whatever the identifier holds', async () => {
    const identifiers = [
      'with spaces and\na newline\r\nand a tab\t',
      'zähler:ユーザー:🔒',
      'x'.repeat(100 * 1024),
    ];
    for (const raw of identifiers) {
      const identifier = raw + uniqueId('key');
      const held = await locking.acquireOrThrow(identifier, { kind });
      const key = memcacheKeyOf(identifier);
      expect(key).to.match(/^gcp-locking:[0-9a-f]{64}$/);
      const item = await inspectItem(servers, key);
      expect(item, 'the record is in memcached under prefix + sha256').to.not.equal(null);
      const record = JSON.parse(item!.value) as Record<string, unknown>;
      expect(Object.keys(record).sort()).to.deep.equal(['acquiredAt', 'leaseMs', 'token']);
      expect(await other.acquire(identifier, { kind, wait: false }), 'it excludes').to.equal(null);
      expect(await held.release()).to.equal(true);
      expect(await inspectItem(servers, key), 'release deletes it').to.equal(null);
    }
  });

  it('uses the configured key prefix', async () => {
    const prefixed = createLocking({ memcacheServers: servers, memcacheKeyPrefix: 'tenant-a/' });
    try {
      const identifier = uniqueId('prefix');
      const held = await prefixed.acquireOrThrow(identifier, { kind });
      expect(await inspectItem(servers, memcacheKeyOf(identifier, 'tenant-a/'))).to.not.equal(null);
      expect(await inspectItem(servers, memcacheKeyOf(identifier))).to.equal(null);
      await held.release();
    } finally {
      await prefixed.close();
    }
  });

  it('refuses a key prefix that would make keys longer than memcached allows', async () => {
    const prefixed = createLocking({
      memcacheServers: servers,
      memcacheKeyPrefix: 'p'.repeat(187),
    });
    try {
      const error: unknown = await prefixed
        .acquire('x', { kind })
        .catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.match(/memcacheKeyPrefix/);
    } finally {
      await prefixed.close();
    }
  });

  it('rounds the lease up to whole seconds plus one, never 0', () => {
    expect(expirySeconds(200)).to.equal(2);
    expect(expirySeconds(1000)).to.equal(2);
    expect(expirySeconds(1001)).to.equal(3);
    expect(expirySeconds(1500)).to.equal(3);
    expect(expirySeconds(30_000)).to.equal(31);
    expect(expirySeconds(2_147_483_647), 'below the 30-day Unix-time threshold').to.be.below(
      30 * 24 * 3600,
    );
  });

  it('sends that expiry to memcached on acquire and on every renewal', async () => {
    const identifier = uniqueId('ttl');
    const key = memcacheKeyOf(identifier);
    const held = await locking.acquireOrThrow(identifier, { kind, leaseMs: 1500 });
    try {
      // memcached answers the remaining TTL; 3 s were set (ceil(1.5) + 1), one tick may have passed.
      expect((await inspectItem(servers, key))!.ttlSeconds).to.be.within(2, 3);
      await delay(1700); // three renewals (every 500 ms) later
      expect(held.held).to.equal(true);
      expect((await inspectItem(servers, key))!.ttlSeconds).to.be.within(2, 3);
    } finally {
      await held.release();
    }
  });

  it('keeps an unrenewed lock for at least its whole lease (memcached clock ticks once a second)', async function () {
    this.timeout(30_000);
    // Several phases against memcached's one-second clock: with a plain ceil(leaseMs / 1000) an
    // item set just before a tick vanished after 450 ms of a 1000 ms lease.
    const leaseMs = 1000;
    for (let round = 0; round < 4; round += 1) {
      const identifier = uniqueId('whole-lease');
      const sentAt = performance.now();
      const held = await locking.acquireOrThrow(identifier, { kind, leaseMs, autoRenew: false });
      let takenAt: number | undefined;
      while (takenAt === undefined) {
        const next = await other.acquire(identifier, { kind, wait: false });
        if (next) {
          takenAt = performance.now();
          await next.release();
        } else await delay(25);
      }
      expect(takenAt - sentAt, `round ${round}: free only after the lease`).to.be.at.least(leaseMs);
      expect(held.signal.aborted, 'the holder was told before anyone else got it').to.equal(true);
      await delay(250);
    }
  });
});
