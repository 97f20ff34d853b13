import { expect } from 'chai';
import fc from 'fast-check';
import { createLocking, LOCK_KINDS, type Lock } from '../../src/index.js';
import { SpyBackend } from './spy-backend.js';

const LOCK_OPTION_NAMES = [
  'wait',
  'waitForMs',
  'stealAfterMs',
  'leaseMs',
  'autoRenew',
  'kind',
  'signal',
] as const;
const LOCKING_OPTION_NAMES = [
  'rpcTimeoutMs',
  'protocol',
  'kindName',
  'namespace',
  'backoff',
  'defaults',
  'memcacheKeyPrefix',
];

/** Values that break naive code: NaN, infinities, negatives, huge, wrong types. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -1,
    -0,
    0,
    1e300,
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
    0.5,
    199,
  ),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constantFrom(null, undefined, '1000', [], {}, () => 1, 10n, Symbol('x'), new Date()),
  fc.constantFrom(LOCK_KINDS.STRONG, LOCK_KINDS.WEAK, 'STRONG', 'weakish'),
  fc.constant(AbortSignal.abort()),
  fc.constant(new AbortController().signal),
);

const hostileOptions = fc.dictionary(
  fc.oneof(fc.constantFrom(...LOCK_OPTION_NAMES), fc.string()),
  hostileValue,
  { maxKeys: 4 },
);

async function settlesWithin<T>(
  ms: number,
  work: () => Promise<T>,
): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms);
  });
  try {
    return { value: await Promise.race([Promise.resolve().then(work), hang]) };
  } catch (error) {
    if ((error as Error).message?.startsWith('hung for')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

/** A TypeError or RangeError whose message names one of `names` (or says "options"). */
function expectNamedOptionError(error: unknown, names: readonly string[]): void {
  expect(error, 'a TypeError or RangeError').to.satisfy(
    (e: unknown) => e instanceof TypeError || e instanceof RangeError,
  );
  const message = (error as Error).message;
  expect(
    names.some((name) => message.includes(`"${name}"`)) ||
      /options must be an object/.test(message),
    message,
  ).to.equal(true);
}

describe('Hostile options', function () {
  this.timeout(60_000);

  it('lock options: a clear TypeError/RangeError naming the option, or a correct lock; never a bad value at the backend', async () => {
    await fc.assert(
      fc.asyncProperty(hostileOptions, async (options) => {
        const strong = new SpyBackend();
        const weak = new SpyBackend();
        const locking = createLocking({ backend: { strong, weak } });
        // A bounded wait: the lock is free, so a valid wait succeeds at once; never wait forever.
        const { value: held, error } = await settlesWithin(3000, () =>
          locking.acquire('hostile', options),
        );
        if (error !== undefined) {
          const aborted = options.signal instanceof AbortSignal && options.signal.aborted;
          if (aborted && !(error instanceof TypeError || error instanceof RangeError)) {
            // An already-aborted signal rejects with its own reason, before any backend call.
            expect(error).to.equal((options.signal as AbortSignal).reason);
          } else {
            expectNamedOptionError(error, [...Object.keys(options), ...LOCK_OPTION_NAMES]);
          }
          expect(strong.calls.concat(weak.calls)).to.deep.equal([]);
          return;
        }
        const lock = held as Lock;
        expect(lock.held).to.equal(true);
        expect(strong.bad.concat(weak.bad)).to.deep.equal([]);
        expect(await lock.release()).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it('createLocking options: a clear TypeError/RangeError naming the option, or a usable instance', async () => {
    const lockingOptions = fc.dictionary(
      fc.oneof(fc.constantFrom(...LOCKING_OPTION_NAMES), fc.string()),
      fc.oneof(
        hostileValue,
        fc.constantFrom('conditional', 'transaction', 'Locks'),
        fc.record({ initialMs: hostileValue }),
      ),
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(lockingOptions, async (options) => {
        const strong = new SpyBackend();
        let locking;
        try {
          locking = createLocking({ ...options, backend: { strong } });
        } catch (error) {
          expectNamedOptionError(error, [
            ...Object.keys(options),
            ...LOCKING_OPTION_NAMES,
            'initialMs',
            'maxMs',
            'defaults',
          ]);
          return;
        }
        const { value: held, error } = await settlesWithin(3000, () =>
          locking.acquire('hostile', { wait: false }),
        );
        expect(error, String(error)).to.equal(undefined);
        expect(strong.bad).to.deep.equal([]);
        await held?.release();
      }),
      { numRuns: 200 },
    );
  });

  it('wrong argument shapes (options not an object) are refused before any backend call', async () => {
    for (const options of [null, 5, 'leaseMs', [], () => ({})]) {
      const strong = new SpyBackend();
      const locking = createLocking({ backend: { strong } });
      const { error } = await settlesWithin(2000, () => locking.acquire('id', options as never));
      expect(error).to.be.instanceOf(TypeError);
      expect(strong.calls).to.deep.equal([]);
    }
  });
});
