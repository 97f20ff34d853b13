import { expect } from 'chai';
import sinon from 'sinon';
import {
  configureLocking,
  createLocking,
  Lock,
  lock,
  LockAcquisitionError,
  LOCK_KINDS,
  withLock,
} from '../../src/index.js';

interface User {
  id: string;
}

describe('the module-level API (on the in-memory backend)', () => {
  beforeEach(() => {
    configureLocking({ backend: 'memory' });
  });

  it('lock(id)(fn) runs fn under the lock and resolves its result', async () => {
    const locked = lock('api:wrap')(async (a: number, b: number) => a + b);
    expect(await locked(2, 3)).to.equal(5);
  });

  it('lock(id, { wait: false })(fn) skips fn and resolves undefined while the lock is held', async () => {
    const held = await Lock.acquireOrThrow('api:skip');
    const fn = sinon.spy(() => 'ran');
    expect(await lock('api:skip', { wait: false })(fn)()).to.equal(undefined);
    expect(fn.called).to.equal(false);
    await held.release();
    expect(await lock('api:skip', { wait: false })(fn)()).to.equal('ran');
  });

  it('computes the identifier from the call arguments', async () => {
    const seen: string[] = [];
    const refresh = lock((user: User) => 'oauth:' + user.id, { wait: false })(async (
      user: User,
    ) => {
      seen.push(user.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    await Promise.all([refresh({ id: 'a' }), refresh({ id: 'a' }), refresh({ id: 'b' })]);
    expect(seen.sort()).to.deep.equal(['a', 'b'], 'the second call for user a bailed');
  });

  it('decorates class methods with TypeScript standard decorators, keeping `this`', async () => {
    class Billing {
      runs = 0;
      @lock('api:decorated', { wait: false })
      async run(): Promise<number | undefined> {
        this.runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return this.runs;
      }
    }
    const billing = new Billing();
    const results = await Promise.all([billing.run(), billing.run()]);
    expect(results.filter((r) => r === undefined)).to.have.length(1);
    expect(billing.runs).to.equal(1);
  });

  it('withLock hands fn the held lock and rejects with LockAcquisitionError when it bails', async () => {
    const result = await withLock('api:with', async (held) => {
      expect(held.identifier).to.equal('api:with');
      expect(held.kind).to.equal(LOCK_KINDS.STRONG);
      let error: unknown;
      await withLock('api:with', { wait: false }, () => 1).catch(
        (caught: unknown) => (error = caught),
      );
      expect(error).to.be.instanceOf(LockAcquisitionError);
      expect((error as LockAcquisitionError).code).to.equal('LOCK_NOT_ACQUIRED');
      return 'done';
    });
    expect(result).to.equal('done');
  });

  it('Lock.acquire resolves null when it bails and supports await using', async () => {
    {
      await using held = await Lock.acquireOrThrow('api:using');
      expect(await Lock.acquire('api:using', { wait: false })).to.equal(null);
      expect(held.held).to.equal(true);
    }
    const again = await Lock.acquire('api:using', { wait: false });
    expect(again).to.not.equal(null);
    await again!.release();
  });

  it('validates the identifier and options when lock() is called, not at the first call', () => {
    expect(() => lock('')).to.throw(TypeError, /non-empty/);
    expect(() => lock('x', { leaseMs: 0 })).to.throw(RangeError, /leaseMs/);
  });

  it('refuses to construct a Lock directly', () => {
    expect(
      () => new (Lock as unknown as new (a: unknown, b: unknown) => Lock)(undefined, {}),
    ).to.throw(TypeError, /Lock.acquire/);
  });
});

describe('createLocking', () => {
  it('rejects unknown options and bad values, naming them', () => {
    expect(() => createLocking({ protocol: 'paxos' } as never)).to.throw(TypeError, /"protocol"/);
    expect(() => createLocking({ datastor: {} } as never)).to.throw(
      TypeError,
      /Unknown option "datastor"/,
    );
    expect(() => createLocking({ rpcTimeoutMs: -1 })).to.throw(RangeError, /"rpcTimeoutMs"/);
    expect(() => createLocking({ defaults: { leaseMs: NaN } })).to.throw(RangeError, /"leaseMs"/);
  });

  it('applies instance defaults to every acquisition', async () => {
    const locking = createLocking({ backend: 'memory', defaults: { wait: false } });
    const held = await locking.acquireOrThrow('defaults');
    expect(await locking.acquire('defaults'), 'wait: false from the defaults').to.equal(null);
    await held.release();
  });

  it('keeps instances independent', async () => {
    const first = createLocking({ backend: 'memory' });
    const second = createLocking({ backend: 'memory' });
    const held = await first.acquireOrThrow('independent');
    const other = await second.acquire('independent', { wait: false });
    expect(other).to.not.equal(null);
    await other!.release();
    await held.release();
  });
});
