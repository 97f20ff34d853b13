import { createHash } from 'node:crypto';

/**
 * Checks an identifier and returns the key every backend stores it under.
 *
 * Keys are a sha256 of the identifier, never the raw string: adjacent raw keys hot-spot Datastore
 * tablets, and memcached keys allow at most 250 bytes without spaces or control characters.
 */
export function lockKeyFor(identifier: unknown): string {
  assertIdentifier(identifier);
  return createHash('sha256').update(identifier, 'utf8').digest('hex');
}

export function assertIdentifier(identifier: unknown): asserts identifier is string {
  if (typeof identifier !== 'string') {
    throw new TypeError(
      `The lock identifier must be a string, got ${describe(identifier)}. ` +
        'Pass a string such as "oauth:" + user.id, or a function that returns one.',
    );
  }
  if (identifier.length === 0) {
    throw new TypeError('The lock identifier must be a non-empty string.');
  }
  // UTF-8 encoding turns every lone surrogate into U+FFFD, so two different identifiers would
  // share one lock; the Firestore emulator also fails on them.
  if (!isWellFormed(identifier)) {
    throw new TypeError(
      'The lock identifier contains a lone UTF-16 surrogate; use a well-formed string ' +
        '(String.prototype.toWellFormed() replaces them).',
    );
  }
}

function isWellFormed(value: string): boolean {
  // Node 20 has String.prototype.isWellFormed; keep a fallback for typings that lack it.
  const native = (value as { isWellFormed?: () => boolean }).isWellFormed;
  if (typeof native === 'function') return native.call(value);
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}
