/**
 * The backend contract: the same behaviour, proven against every backend the services allow
 * (memory; STRONG conditional and transaction on both Datastore emulators; WEAK on memcached).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import sinon from 'sinon';
import { LockAcquisitionError, LockLostError, type Locking } from '../../src/index.js';
import { DEFAULT_BACKOFF } from '../../src/backoff.js';
import { exited, lineStartingWith, spawnFixture } from '../support/processes.js';
import { lockingFor, targets, type Target } from '../support/targets.js';

let sequence = 0;
function uniqueId(label: string): string {
  sequence += 1;
  return `contract:${label}:${process.pid}:${Date.now()}:${sequence}`;
}

for (const target of targets()) {
  describe(`lock contract: ${target.name}`, () => {
    const opened: Locking[] = [];
    const open = (): Locking => {
      const locking = lockingFor(target.spec);
      opened.push(locking);
      return locking;
    };
    /** Two independent clients; in memory both must share one store, so one instance. */
    const pair = (): [Locking, Locking] => {
      const first = open();
      return [first, target.shared ? open() : first];
    };
    const kind = target.kind;
    after(async () => {
      await Promise.all(opened.map((locking) => locking.close()));
    });

    it('acquires a free lock at once and releases it', async () => {
      const locking = open();
      const held = await locking.acquire(uniqueId('free'), { kind });
      expect(held).to.not.equal(null);
      expect(held!.held).to.equal(true);
      expect(held!.kind).to.equal(kind);
      expect(await held!.release()).to.equal(true);
      expect(held!.signal.aborted).to.equal(true);
      expect(await held!.release(), 'release is idempotent').to.equal(false);
    });

    if (target.fenced) {
      it('hands out fencing tokens that grow with every acquisition of an identifier', async () => {
        const locking = open();
        const id = uniqueId('fencing');
        const tokens: bigint[] = [];
        for (let i = 0; i < 4; i += 1) {
          const held = await locking.acquireOrThrow(id, { kind });
          tokens.push(held.fencingToken!);
          await held.release();
        }
        for (let i = 1; i < tokens.length; i += 1)
          expect(tokens[i]! > tokens[i - 1]!).to.equal(true);
      });
    } else {
      it('gives no fencing token', async () => {
        const held = await open().acquireOrThrow(uniqueId('nofence'), { kind });
        expect(held.fencingToken).to.equal(null);
        await held.release();
      });
    }

    it('bails in all three forms when wait is false and the lock is held', async () => {
      const [holder, other] = pair();
      const id = uniqueId('bail');
      const held = await holder.acquireOrThrow(id, { kind });
      const fn = sinon.spy(async () => 'ran');
      expect(await other.lock(id, { kind, wait: false })(fn)()).to.equal(undefined);
      expect(fn.called, 'the wrapped function must not run').to.equal(false);
      let rejected: unknown;
      await other
        .withLock(id, { kind, wait: false }, fn)
        .catch((error: unknown) => (rejected = error));
      expect(rejected).to.be.instanceOf(LockAcquisitionError);
      expect(fn.called).to.equal(false);
      expect(await other.acquire(id, { kind, wait: false })).to.equal(null);
      await held.release();
    });

    it('gives up after waitForMs', async () => {
      const [holder, other] = pair();
      const id = uniqueId('waitfor');
      const held = await holder.acquireOrThrow(id, { kind });
      const started = performance.now();
      expect(await other.acquire(id, { kind, waitForMs: 400 })).to.equal(null);
      const elapsed = performance.now() - started;
      expect(elapsed).to.be.at.least(390);
      expect(elapsed).to.be.below(400 + 2000, 'bounded by waitForMs plus one request');
      await held.release();
    });

    it('rejects a wait promptly with the abort reason of its signal', async () => {
      const [holder, other] = pair();
      const id = uniqueId('signal');
      const held = await holder.acquireOrThrow(id, { kind });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const started = performance.now();
      setTimeout(() => controller.abort(reason), 150);
      let rejected: unknown;
      await other
        .acquire(id, { kind, signal: controller.signal })
        .catch((error: unknown) => (rejected = error));
      expect(rejected).to.equal(reason);
      expect(performance.now() - started).to.be.below(150 + 1000);
      await held.release();
    });

    it('waits for a held lock and gets it once released', async () => {
      const [holder, other] = pair();
      const id = uniqueId('handoff');
      const held = await holder.acquireOrThrow(id, { kind });
      const waiting = other.acquire(id, { kind, waitForMs: 20_000 });
      await delay(200);
      await held.release();
      const next = await waiting;
      expect(next).to.not.equal(null);
      await next!.release();
    });

    it('steals a lock older than stealAfterMs and leaves a younger one alone', async () => {
      const [holder, thief] = pair();
      const id = uniqueId('steal');
      const held = await holder.acquireOrThrow(id, { kind, leaseMs: 20_000 });
      expect(await thief.acquire(id, { kind, wait: false, stealAfterMs: 10_000 })).to.equal(null);
      await delay(1200);
      const stolen = await thief.acquire(id, { kind, wait: false, stealAfterMs: 1000 });
      expect(stolen).to.not.equal(null);
      if (target.fenced) expect(stolen!.fencingToken! > held.fencingToken!).to.equal(true);
      await stolen!.release();
      await held.release();
    });

    it("a stolen lock's release deletes nothing, its signal aborts with LockLostError, the thief still holds", async () => {
      const [holder, thief] = pair();
      const id = uniqueId('stolen');
      const held = await holder.acquireOrThrow(id, { kind, leaseMs: 20_000 });
      await delay(1100);
      const stolen = await thief.acquireOrThrow(id, { kind, stealAfterMs: 1000 });
      expect(await held.release(), 'the old holder deletes nothing').to.equal(false);
      expect(held.signal.aborted).to.equal(true);
      expect(held.signal.reason).to.be.instanceOf(LockLostError);
      expect(stolen.held).to.equal(true);
      expect(await holder.acquire(id, { kind, wait: false }), 'the thief still holds').to.equal(
        null,
      );
      expect(await stolen.release()).to.equal(true);
    });

    it('tells a renewing holder through its signal when its lock is stolen', async () => {
      const [holder, thief] = pair();
      const id = uniqueId('stolen-renewing');
      const held = await holder.acquireOrThrow(id, { kind, leaseMs: 1500 });
      await delay(1100);
      const stolen = await thief.acquireOrThrow(id, { kind, stealAfterMs: 1000, leaseMs: 20_000 });
      const lost = await Promise.race([
        new Promise((resolve) =>
          held.signal.addEventListener('abort', () => resolve(held.signal.reason)),
        ),
        delay(3000).then(() => 'still held'),
      ]);
      expect(lost).to.be.instanceOf(LockLostError);
      expect(stolen.held).to.equal(true);
      await stolen.release();
      expect(await held.release()).to.equal(false);
    });

    it('keeps its lock and its token while renewing across three leases', async () => {
      const [holder, other] = pair();
      const id = uniqueId('renew');
      const leaseMs = kind === 'weak' ? 1000 : 600;
      const held = await holder.acquireOrThrow(id, { kind, leaseMs });
      const token = held.fencingToken;
      await delay(leaseMs * 3 + 300);
      expect(held.held).to.equal(true);
      expect(held.signal.aborted).to.equal(false);
      expect(held.fencingToken).to.equal(token);
      expect(await other.acquire(id, { kind, wait: false })).to.equal(null);
      expect(await held.release()).to.equal(true);
    });

    it('lets a lease lapse when autoRenew is off, and says so through the signal', async () => {
      const [holder, other] = pair();
      const id = uniqueId('lapse');
      const leaseMs = kind === 'weak' ? 1000 : 500;
      const held = await holder.acquireOrThrow(id, { kind, leaseMs, autoRenew: false });
      // memcached counts expiry in whole seconds, so a WEAK lease may outlive leaseMs by up to 2 s.
      const next = await other.acquire(id, { kind, waitForMs: leaseMs + 3000 });
      expect(next).to.not.equal(null);
      expect(held.signal.reason).to.be.instanceOf(LockLostError);
      expect(await held.release()).to.equal(false);
      await next!.release();
    });

    it('works with a 100 KB identifier and with non-ASCII identifiers', async () => {
      const locking = open();
      for (const id of ['x'.repeat(100 * 1024), 'zähler:ユーザー:🔒 with spaces\nand a newline']) {
        const held = await locking.acquireOrThrow(id + uniqueId(''), { kind });
        expect(await held.release()).to.equal(true);
      }
    });

    it('refuses bad input with a clear error before any backend call', async () => {
      const locking = open();
      const backend = await locking.backend(kind);
      const spy = sinon.spy(backend, 'tryAcquire');
      try {
        const cases: [unknown, unknown, RegExp][] = [
          ['', {}, /non-empty/],
          [42, {}, /must be a string/],
          ['ok', { waitForMs: NaN }, /"waitForMs"/],
          ['ok', { leaseMs: -5 }, /"leaseMs"/],
          ['ok', { stealAfterMs: Infinity }, /"stealAfterMs"/],
          ['ok', { kind: 'STRONG!' }, /"kind"/],
          ['ok', { retries: 3 }, /Unknown option "retries"/],
          ['\uD800 lone surrogate', {}, /surrogate/],
        ];
        for (const [identifier, options, message] of cases) {
          let error: unknown;
          await locking
            .acquire(identifier as string, { kind, ...(options as object) })
            .catch((caught: unknown) => (error = caught));
          expect(error, `for ${JSON.stringify(options)}`).to.be.instanceOf(Error);
          expect((error as Error).message).to.match(message);
          expect(['TypeError', 'RangeError']).to.include((error as Error).name);
        }
        expect(spy.called, 'no backend call with a bad value').to.equal(false);
      } finally {
        spy.restore();
      }
    });

    if (target.shared) {
      defineProcessTests(target);
    }
  });
}

function defineProcessTests(target: Target): void {
  const { workers, sections } = target.exclusion;
  it(`excludes across processes: ${workers} processes × ${sections} critical sections count exactly ${workers * sections}`, async function () {
    this.timeout(300_000);
    const folder = mkdtempSync(join(tmpdir(), 'gcp-locking-exclusion-'));
    const counterFile = join(folder, 'counter');
    const logFile = join(folder, 'log');
    writeFileSync(counterFile, '0');
    writeFileSync(logFile, '');
    const identifier = uniqueId('exclusion');
    const children = Array.from({ length: workers }, () =>
      spawnFixture('critical-section-worker.ts', {
        spec: target.spec,
        kind: target.kind,
        identifier,
        sections,
        counterFile,
        logFile,
      }),
    );
    await Promise.all(children.map(exited));
    expect(Number(readFileSync(counterFile, 'utf8'))).to.equal(workers * sections);
    const entries = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(entries.map((entry) => Number(entry[0]))).to.deep.equal(
      Array.from({ length: workers * sections }, (_, i) => i),
      'every counter value was read by exactly one critical section',
    );
    if (target.fenced) {
      const tokens = entries.map((entry) => BigInt(entry[1]!));
      for (let i = 1; i < tokens.length; i += 1) {
        expect(tokens[i]! > tokens[i - 1]!, `token ${i} grows in critical-section order`).to.equal(
          true,
        );
      }
    }
  });

  it('frees the lock of a holder killed with SIGKILL within one lease plus one backoff cap', async function () {
    this.timeout(60_000);
    const leaseMs = 2000;
    const identifier = uniqueId('sigkill');
    const child = spawnFixture('hold-worker.ts', {
      spec: target.spec,
      kind: target.kind,
      identifier,
      leaseMs,
    });
    await lineStartingWith(child, 'HELD');
    const locking = lockingFor(target.spec);
    try {
      expect(await locking.acquire(identifier, { kind: target.kind, wait: false })).to.equal(null);
      child.kill('SIGKILL');
      const killedAt = performance.now();
      const held = await locking.acquire(identifier, { kind: target.kind, waitForMs: 15_000 });
      const elapsed = performance.now() - killedAt;
      expect(held, 'acquired after the holder died').to.not.equal(null);
      // WEAK expiry is the lease rounded up to whole seconds plus one (memcached's clock ticks once
      // a second), so a dead WEAK holder may block up to 2 s longer; 500 ms covers request time.
      const slackMs = (target.kind === 'weak' ? 2000 : 0) + 500;
      expect(elapsed).to.be.below(leaseMs + DEFAULT_BACKOFF.maxMs + slackMs);
      await held!.release();
    } finally {
      child.kill('SIGKILL');
      await locking.close();
    }
  });
}
