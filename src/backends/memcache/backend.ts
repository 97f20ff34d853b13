import { LockBackendError } from '../../errors.js';
import type { AcquireAttempt, AttemptResult, Lease, LockBackend } from '../backend.js';
import {
  decodeRecord,
  encodeRecord,
  expirySeconds,
  isStealable,
  type MemcacheLeaseState,
  type MemcacheRecord,
} from './record.js';
import { MemcacheWire, OPCODE, STATUS, storageExtras, type WireResponse } from './wire.js';

export interface MemcacheBackendSettings {
  readonly wire: MemcacheWire;
  readonly keyPrefix: string;
  /** The server list, for messages. */
  readonly servers: string;
  /** Closes the client, when this backend built it. */
  readonly closeClient?: () => void;
  /** The acquirers' clock (steal age): memcached gives clients no time to read. */
  readonly now?: () => number;
}

interface StoredRecord {
  readonly record: MemcacheRecord;
  readonly cas: bigint;
}

/**
 * WEAK locks on memcached. acquire = `add`; steal, renew and release read the record (its token
 * and CAS), then write conditioned on that CAS, so of two writers racing on one read exactly one
 * wins, and a holder never changes a record that is no longer its own. The token check on top of
 * the CAS matters after a memcached restart, which starts CAS values over.
 *
 * memcached's own expiry enforces the lease: a record that exists is live, and only
 * `stealAfterMs` takes one over.
 */
export class MemcacheBackend implements LockBackend {
  readonly name = 'memcache';
  readonly fenced = false;
  readonly #wire: MemcacheWire;
  readonly #keyPrefix: string;
  readonly #servers: string;
  readonly #closeClient: (() => void) | undefined;
  readonly #now: () => number;

  constructor(settings: MemcacheBackendSettings) {
    this.#wire = settings.wire;
    this.#keyPrefix = settings.keyPrefix;
    this.#servers = settings.servers;
    this.#closeClient = settings.closeClient;
    this.#now = settings.now ?? Date.now;
  }

  async tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult> {
    const key = this.#keyPrefix + attempt.key;
    // One round trip whether free or held; a read follows only when a steal is possible.
    const added = await this.#add(key, attempt);
    if (added) return { acquired: true, lease: added, stole: false };
    if (attempt.stealAfterMs === undefined) return { acquired: false };
    const stored = await this.#read(key, 'read');
    if (!stored) {
      // Expired or released since our `add`: it is free, so one more `add`.
      const lease = await this.#add(key, attempt);
      return lease ? { acquired: true, lease, stole: false } : { acquired: false };
    }
    if (!isStealable(stored.record, attempt.stealAfterMs, this.#now())) return { acquired: false };
    const lease = await this.#steal(key, attempt, stored.cas);
    return lease ? { acquired: true, lease, stole: true } : { acquired: false };
  }

  async renew(hashedKey: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
    const key = this.#keyPrefix + hashedKey;
    const stored = await this.#read(key, 'renewal');
    if (stored?.record.token !== lease.token) return null;
    const record = { ...stored.record, leaseMs };
    let response: WireResponse;
    try {
      response = await this.#wire.send({
        opcode: OPCODE.SET,
        key,
        extras: storageExtras(expirySeconds(leaseMs)),
        value: encodeRecord(record),
        cas: stored.cas,
      });
    } catch (error) {
      const mine = await this.#settle('renewal', key, lease.token, error);
      if (!mine) return null;
      // Still ours and unchanged: the renewal did not apply; the lock retries it shortly.
      if (mine.cas === stored.cas) throw this.#unsettled('renewal', error);
      return leaseOf(lease.token, mine.cas);
    }
    if (response.status === STATUS.OK) return leaseOf(lease.token, response.cas);
    if (response.status === STATUS.EXISTS || response.status === STATUS.NOT_FOUND) return null;
    throw this.#statusError('renewal', response.status);
  }

  async release(hashedKey: string, lease: Lease): Promise<boolean> {
    const key = this.#keyPrefix + hashedKey;
    const stored = await this.#read(key, 'release');
    if (stored?.record.token !== lease.token) return false;
    let response: WireResponse;
    try {
      response = await this.#wire.send({ opcode: OPCODE.DELETE, key, cas: stored.cas });
    } catch (error) {
      const mine = await this.#settle('release', key, lease.token, error);
      if (mine) throw this.#unsettled('release', error);
      return true;
    }
    if (response.status === STATUS.OK) return true;
    if (response.status === STATUS.EXISTS || response.status === STATUS.NOT_FOUND) return false;
    throw this.#statusError('release', response.status);
  }

  close(): Promise<void> {
    this.#closeClient?.();
    return Promise.resolve();
  }

  /** Adds a new record; `null` when one exists (or a lost answer settled as not ours). */
  async #add(key: string, attempt: AcquireAttempt): Promise<Lease | null> {
    let response: WireResponse;
    try {
      response = await this.#wire.send({
        opcode: OPCODE.ADD,
        key,
        extras: storageExtras(expirySeconds(attempt.leaseMs)),
        value: encodeRecord(this.#newRecord(attempt)),
      });
    } catch (error) {
      const mine = await this.#settle('acquisition', key, attempt.token, error);
      return mine ? leaseOf(attempt.token, mine.cas) : null;
    }
    if (response.status === STATUS.OK) return leaseOf(attempt.token, response.cas);
    if (response.status === STATUS.EXISTS) return null;
    throw this.#statusError('acquisition', response.status);
  }

  /** Replaces the record read with CAS `cas` by ours: of two stealers of one read, one wins. */
  async #steal(key: string, attempt: AcquireAttempt, cas: bigint): Promise<Lease | null> {
    let response: WireResponse;
    try {
      response = await this.#wire.send({
        opcode: OPCODE.SET,
        key,
        extras: storageExtras(expirySeconds(attempt.leaseMs)),
        value: encodeRecord(this.#newRecord(attempt)),
        cas,
      });
    } catch (error) {
      const mine = await this.#settle('steal', key, attempt.token, error);
      return mine ? leaseOf(attempt.token, mine.cas) : null;
    }
    if (response.status === STATUS.OK) return leaseOf(attempt.token, response.cas);
    if (response.status === STATUS.EXISTS) return null;
    // Gone between our read and our write (expired or released): it is free.
    if (response.status === STATUS.NOT_FOUND) return this.#add(key, attempt);
    throw this.#statusError('steal', response.status);
  }

  /** The record and its CAS, or `undefined` when there is none. */
  async #read(key: string, step: string): Promise<StoredRecord | undefined> {
    let response: WireResponse;
    try {
      response = await this.#wire.send({ opcode: OPCODE.GET, key });
    } catch (error) {
      throw this.#unreachable(step, error);
    }
    if (response.status === STATUS.NOT_FOUND) return undefined;
    if (response.status !== STATUS.OK) throw this.#statusError(step, response.status);
    return { record: decodeRecord(response.value), cas: response.cas };
  }

  /**
   * Settles a write whose answer was lost by reading the record back: it is ours exactly when it
   * carries our token. A write that never left (no connection) needs no read.
   */
  async #settle(
    step: string,
    key: string,
    token: string,
    original: unknown,
  ): Promise<StoredRecord | undefined> {
    if (wasNeverSent(original)) throw this.#unreachable(step, original);
    let stored: StoredRecord | undefined;
    try {
      stored = await this.#read(key, 'settling read');
    } catch (error) {
      throw new LockBackendError(
        `memcached (${this.#servers}) did not answer the lock ${step}, and the record could not be ` +
          `read back to settle it. ${CHECK}`,
        {
          cause: new AggregateError(
            [original, error instanceof LockBackendError ? (error.cause ?? error) : error],
            'write and settling read both failed',
          ),
        },
      );
    }
    return stored?.record.token === token ? stored : undefined;
  }

  #newRecord(attempt: AcquireAttempt): MemcacheRecord {
    return { token: attempt.token, acquiredAt: this.#now(), leaseMs: attempt.leaseMs };
  }

  #unreachable(step: string, cause: unknown): LockBackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new LockBackendError(
      `memcached (${this.#servers}) did not answer the lock ${step}: ${reason}. ${CHECK}`,
      { cause },
    );
  }

  #unsettled(step: string, cause: unknown): LockBackendError {
    return new LockBackendError(
      `The lock ${step} got no answer from memcached (${this.#servers}) and did not apply. ${CHECK}`,
      { cause },
    );
  }

  #statusError(step: string, status: number): LockBackendError {
    return new LockBackendError(
      `memcached (${this.#servers}) refused the lock ${step} with status 0x${status.toString(16)}. ` +
        'Check that the server speaks the memcached binary protocol with CAS enabled ' +
        '(memcached -C disables CAS).',
    );
  }
}

const CHECK =
  'Check MEMCACHE_SERVERS (or the memcacheServers option) and that memcached is running and reachable.';

/** Connection failures: the request was never written, so it cannot have applied. */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function wasNeverSent(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && NEVER_SENT_CODES.has(code)) return true;
  // memjs queues a request until its socket connects, and fails it with this message if it never does.
  return error.message.startsWith('socket timed out connecting');
}

function leaseOf(token: string, cas: bigint): Lease {
  const state: MemcacheLeaseState = { cas };
  return { token, fencingToken: null, state };
}
