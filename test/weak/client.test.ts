/** WEAK locks: the memjs client (injected or built), and writes whose answer was lost. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import memjs from 'memjs';
import sinon from 'sinon';
import { createLocking, LOCK_KINDS, LockBackendError } from '../../src/index.js';
import { OPCODE } from '../../src/backends/memcache/wire.js';
import { sharedMemcache, uniqueId, watchUnhandledRejections } from './support.js';

const kind = LOCK_KINDS.WEAK;

/** The options the README recommends for an injected client. */
const LOCK_CLIENT_OPTIONS = {
  failover: false,
  retries: 0,
  timeout: 0.5,
  conntimeout: 0.5,
  keepAlive: true,
  logger: { log: () => undefined },
};

type Perform = memjs.Client['perform'];
type Fault = 'apply, lose the answer' | 'drop';

/**
 * A real memjs client whose next request with `opcode` meets `fault`: applied by memcached but
 * answered with a timeout, or never sent at all (answered with a timeout too).
 */
function faultyClient(servers: string, opcode: number, fault: Fault): memjs.Client {
  const real = memjs.Client.create(servers, LOCK_CLIENT_OPTIONS);
  let armed = true;
  const perform: Perform = (key, request, seq, callback, retries) => {
    if (!armed || request[1] !== opcode) return real.perform(key, request, seq, callback, retries);
    armed = false;
    const lost = new Error('socket timed out waiting on response.');
    if (fault === 'drop') {
      setImmediate(() => callback?.(lost, null));
      return;
    }
    real.perform(key, request, seq, () => callback?.(lost, null), retries);
  };
  return Object.assign(Object.create(real) as memjs.Client, { perform });
}

describe('WEAK locks: the memjs client', () => {
  let servers: string;
  before(() => {
    servers = sharedMemcache();
  });

  it('works with an injected client, and close() leaves that client to its owner', async () => {
    const client = memjs.Client.create(servers, LOCK_CLIENT_OPTIONS);
    const locking = createLocking({ memcache: client });
    try {
      const held = await locking.acquireOrThrow(uniqueId('injected'), { kind });
      expect(held.fencingToken).to.equal(null);
      expect(await held.release()).to.equal(true);
      await locking.close();
      const key = uniqueId('still-open').replaceAll(/\W/g, '_');
      await client.set(key, 'yes', { expires: 5 });
      expect(String((await client.get(key)).value)).to.equal('yes');
    } finally {
      client.close();
    }
  });

  it('refuses an injected client built with failover, which would let two holders in', async () => {
    const client = memjs.Client.create(servers, { ...LOCK_CLIENT_OPTIONS, failover: true });
    const locking = createLocking({ memcache: client });
    try {
      const error: unknown = await locking
        .acquire('x', { kind })
        .catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/failover: false/);
    } finally {
      client.close();
      await locking.close();
    }
  });

  it('keeps memjs quiet: a failing call logs nothing to the console', async () => {
    const log = sinon.spy(console, 'log');
    const locking = createLocking({ memcacheServers: '127.0.0.1:1' });
    try {
      const error: unknown = await locking
        .acquire('x', { kind })
        .catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(LockBackendError);
      expect(log.called, 'nothing was logged').to.equal(false);
    } finally {
      log.restore();
      await locking.close();
    }
  });

  it('settles an add whose answer was lost by reading the token back: the lock is ours', async () => {
    const client = faultyClient(servers, OPCODE.ADD, 'apply, lose the answer');
    const locking = createLocking({ memcache: client });
    const other = createLocking({ memcacheServers: servers });
    try {
      const identifier = uniqueId('lost-add');
      const held = await locking.acquire(identifier, { kind, wait: false });
      expect(held, 'the applied add counts as acquired').to.not.equal(null);
      expect(await other.acquire(identifier, { kind, wait: false })).to.equal(null);
      expect(await held!.release(), 'and it is ours to release').to.equal(true);
    } finally {
      client.close();
      await Promise.all([locking.close(), other.close()]);
    }
  });

  it('settles an add that never arrived as not acquired, without a second write', async () => {
    const client = faultyClient(servers, OPCODE.ADD, 'drop');
    const locking = createLocking({ memcache: client });
    try {
      const identifier = uniqueId('dropped-add');
      expect(await locking.acquire(identifier, { kind, wait: false })).to.equal(null);
      const next = await locking.acquire(identifier, { kind, wait: false });
      expect(next, 'the lock was never taken').to.not.equal(null);
      await next!.release();
    } finally {
      client.close();
      await locking.close();
    }
  });

  it('settles a renewal whose answer was lost: applied, so the lock stays held', async () => {
    const client = faultyClient(servers, OPCODE.SET, 'apply, lose the answer');
    const locking = createLocking({ memcache: client });
    const failures: unknown[] = [];
    locking.on('renewalFailed', ({ error }) => failures.push(error));
    try {
      const held = await locking.acquireOrThrow(uniqueId('lost-renewal'), { kind, leaseMs: 600 });
      await delay(1500);
      expect(held.held).to.equal(true);
      expect(failures, 'the lost answer was settled, not reported').to.deep.equal([]);
      expect(await held.release()).to.equal(true);
    } finally {
      client.close();
      await locking.close();
    }
  });

  it('a release that never arrived rejects with LockBackendError; the lock stays until it lapses', async () => {
    const rejections = watchUnhandledRejections();
    const client = faultyClient(servers, OPCODE.DELETE, 'drop');
    const locking = createLocking({ memcache: client });
    const other = createLocking({ memcacheServers: servers });
    try {
      const identifier = uniqueId('dropped-release');
      const held = await locking.acquireOrThrow(identifier, { kind, leaseMs: 1000 });
      const error: unknown = await held.release().catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(LockBackendError);
      expect(held.held, 'renewal stopped').to.equal(false);
      expect(await other.acquire(identifier, { kind, wait: false })).to.equal(null);
      const next = await other.acquire(identifier, { kind, waitForMs: 4000 });
      expect(next, 'it lapses by itself').to.not.equal(null);
      await next!.release();
      await delay(50);
      expect(rejections.seen).to.deep.equal([]);
    } finally {
      rejections.stop();
      client.close();
      await Promise.all([locking.close(), other.close()]);
    }
  });
});

describe('WEAK locks: process lifetime', () => {
  it('a script that took a WEAK lock exits by itself, without close()', async function () {
    this.timeout(30_000);
    const script = fileURLToPath(new URL('./exit-by-itself.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, MEMCACHE_SERVERS: sharedMemcache() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect(output.trim()).to.equal('ran');
    expect({ code, signal }, 'exited on its own, not killed').to.deep.equal({
      code: 0,
      signal: null,
    });
  });
});
