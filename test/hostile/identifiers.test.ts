import { expect } from 'chai';
import fc from 'fast-check';
import { createLocking, LOCK_KINDS } from '../../src/index.js';
import { SpyBackend } from './spy-backend.js';

/** Resolves or rejects within `ms`, or fails the test as a hang. */
async function settlesWithin<T>(
  ms: number,
  work: Promise<T>,
): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms);
  });
  try {
    return { value: await Promise.race([work, hang]) };
  } catch (error) {
    if ((error as Error).message?.startsWith('hung for')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

function lockingWithSpies() {
  const strong = new SpyBackend();
  const weak = new SpyBackend();
  return { locking: createLocking({ backend: { strong, weak } }), strong, weak };
}

const loneSurrogate = fc
  .tuple(fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string())
  .map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`)
  .filter((value) => !(value as string & { isWellFormed(): boolean }).isWellFormed());

const nonStrings = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(fc.string()),
  fc.object(),
  fc.constant(Symbol('id')),
  fc.constant(new String('boxed')),
);

describe('Hostile identifiers', function () {
  this.timeout(60_000);

  it('any well-formed non-empty string (control characters, emoji, huge) gives a correct lock', async () => {
    const identifiers = fc.oneof(
      fc.string({ minLength: 1, unit: 'grapheme' }),
      fc.string({
        minLength: 1,
        unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      }),
      fc.string({ minLength: 1, unit: 'binary' }),
      fc.integer({ min: 10_000, max: 1_000_000 }).map((n) => 'x'.repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(identifiers, async (identifier) => {
        const { locking, strong } = lockingWithSpies();
        const { value: held, error } = await settlesWithin(
          2000,
          locking.acquire(identifier, { wait: false }),
        );
        expect(error, String(error)).to.equal(undefined);
        expect(held?.identifier).to.equal(identifier);
        // A second taker is excluded while it is held, and admitted after release.
        const second = await settlesWithin(2000, locking.acquire(identifier, { wait: false }));
        expect(second.value).to.equal(null);
        expect(await held!.release()).to.equal(true);
        const third = await settlesWithin(2000, locking.acquire(identifier, { wait: false }));
        expect(third.value).to.not.equal(null);
        await third.value!.release();
        expect(strong.bad).to.deep.equal([]);
      }),
      { numRuns: 60 },
    );
  });

  it('empty strings, lone surrogates and non-strings are refused with a TypeError before any backend call', async () => {
    const hostile = fc.oneof(fc.constant(''), loneSurrogate, nonStrings);
    await fc.assert(
      fc.asyncProperty(
        hostile,
        fc.constantFrom(LOCK_KINDS.STRONG, LOCK_KINDS.WEAK),
        async (identifier, kind) => {
          const { locking, strong, weak } = lockingWithSpies();
          const attempts: (() => Promise<unknown>)[] = [
            () => locking.acquire(identifier as string, { kind }),
            () => locking.acquireOrThrow(identifier as string, { kind }),
            () => locking.withLock(identifier as string, { kind }, () => 'ran'),
          ];
          for (const attempt of attempts) {
            const { error } = await settlesWithin(2000, Promise.resolve().then(attempt));
            expect(error).to.be.instanceOf(TypeError);
            expect((error as Error).message).to.match(/identifier/);
          }
          expect(() => locking.lock(identifier as string)).to.throw(TypeError, /identifier/);
          expect(strong.calls).to.deep.equal([]);
          expect(weak.calls).to.deep.equal([]);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('an identifier function that returns a hostile value rejects the call without a backend call', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(''), loneSurrogate, nonStrings), async (returned) => {
        const { locking, strong } = lockingWithSpies();
        let ran = false;
        const wrapped = locking.lock(() => returned as string)(() => {
          ran = true;
        });
        const { error } = await settlesWithin(2000, wrapped());
        expect(error).to.be.instanceOf(TypeError);
        expect(ran).to.equal(false);
        expect(strong.calls).to.deep.equal([]);
      }),
      { numRuns: 40 },
    );
  });

  it('two identifiers that differ only in a lone surrogate cannot share a lock (both are refused)', async () => {
    const { locking } = lockingWithSpies();
    for (const identifier of ['a\uD800', 'a\uDFFF']) {
      const { error } = await settlesWithin(2000, locking.acquire(identifier));
      expect(error).to.be.instanceOf(TypeError);
    }
  });
});
