import { expect } from 'chai';
import { DEFAULT_LOCK_OPTIONS, LOCK_KINDS } from '../../src/index.js';
import { resolveLockOptions } from '../../src/options.js';

describe('lock options', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveLockOptions(undefined);
    expect(resolved).to.deep.equal({
      wait: true,
      waitForMs: undefined,
      stealAfterMs: undefined,
      leaseMs: DEFAULT_LOCK_OPTIONS.leaseMs,
      autoRenew: true,
      kind: LOCK_KINDS.STRONG,
      signal: undefined,
    });
    expect(DEFAULT_LOCK_OPTIONS.leaseMs).to.equal(30_000);
  });

  it('lets instance defaults fill in what the call leaves out', () => {
    const resolved = resolveLockOptions({ wait: false }, { leaseMs: 5000, wait: true });
    expect(resolved.wait).to.equal(false);
    expect(resolved.leaseMs).to.equal(5000);
  });

  const bad: [string, unknown, ErrorConstructor, RegExp][] = [
    ['a NaN waitForMs', { waitForMs: NaN }, RangeError, /"waitForMs".*NaN/],
    ['a negative stealAfterMs', { stealAfterMs: -1 }, RangeError, /"stealAfterMs"/],
    ['an infinite leaseMs', { leaseMs: Infinity }, RangeError, /"leaseMs"/],
    ['a leaseMs below the minimum', { leaseMs: 10 }, RangeError, /"leaseMs".*from 200/],
    ['a string waitForMs', { waitForMs: '100' }, TypeError, /"waitForMs" must be a number/],
    ['a non-boolean wait', { wait: 'no' }, TypeError, /"wait" must be a boolean/],
    ['an unknown kind', { kind: 'medium' }, TypeError, /"kind"/],
    ['an unknown option', { stealAfter: 5 }, TypeError, /Unknown option "stealAfter"/],
    ['a signal that is not an AbortSignal', { signal: {} }, TypeError, /"signal"/],
    ['options that are not an object', 42, TypeError, /must be an object/],
  ];
  for (const [what, options, type, message] of bad) {
    it(`rejects ${what} with a ${type.name} naming it`, () => {
      expect(() => resolveLockOptions(options)).to.throw(type, message);
    });
  }
});
