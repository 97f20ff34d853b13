import { LockBackendError } from '../../errors.js';
import type { AcquireAttempt, AttemptResult, Lease, LockBackend } from '../backend.js';
import {
  fromEntityResult,
  judge,
  lockKey,
  newRecord,
  renewedRecord,
  STAMP_ACQUIRED_AT,
  takeoverRecord,
  toEntity,
  type LockRecord,
  type StoredRecord,
} from './record.js';
import { DatastoreRpc, grpcCode, GRPC, isUnknownOutcome, timestampToMs, type Key } from './rpc.js';

/** What a STRONG lease carries: the version to condition the next write on, and the record. */
export interface DatastoreLeaseState {
  readonly version: bigint;
  readonly record: LockRecord;
}

export interface DatastoreBackendSettings {
  readonly rpc: DatastoreRpc;
  readonly kindName: string;
  readonly namespace: string;
}

/**
 * The default STRONG protocol: every step is one conditional, non-transactional commit.
 *
 * acquire = `insert` (fails with ALREADY_EXISTS when held), steal = `update` conditioned on the
 * version just read, renew = `update` and release = `delete` conditioned on our own version. A
 * version never repeats for a key, even across delete and re-insert, so a stale condition can
 * never match a newer record (no ABA).
 */
export class ConditionalDatastoreBackend implements LockBackend {
  readonly name = 'datastore';
  readonly fenced = true;
  protected readonly rpc: DatastoreRpc;
  readonly #kindName: string;
  readonly #namespace: string;

  constructor({ rpc, kindName, namespace }: DatastoreBackendSettings) {
    this.rpc = rpc;
    this.#kindName = kindName;
    this.#namespace = namespace;
  }

  async tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult> {
    const key = this.key(attempt.key);
    // First try: write blind, one RPC when free. Later polls: the lock was seen held, so read
    // first: one RPC per poll while it stays held, instead of a failing insert and a read.
    if (attempt.firstAttempt) {
      const lease = await this.#insert(key, attempt);
      if (lease) return { acquired: true, lease, stole: false };
    }
    const { found, readTimeMs } = await this.rpc.lookup(key);
    const stored = fromEntityResult(found);
    if (!stored) {
      const lease = attempt.firstAttempt ? null : await this.#insert(key, attempt);
      return lease ? { acquired: true, lease, stole: false } : { acquired: false };
    }
    const verdict = judge(stored, readTimeMs, attempt.stealAfterMs);
    if (verdict === 'live') return { acquired: false };
    const lease = await this.#steal(key, attempt, stored);
    return lease
      ? { acquired: true, lease, stole: true, overruled: verdict === 'stealable' }
      : { acquired: false };
  }

  async renew(hashedKey: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
    return this.#renew(this.key(hashedKey), lease, leaseMs, true);
  }

  /**
   * The caller counts a renewed lease from the moment it called `renew`. A write whose answer was
   * lost may have been overtaken by an *earlier* renewal of ours that sat in the network and
   * applied late: its lease started before that moment. So when settling finds our record at a
   * version we did not expect, we do not take it as renewed; we renew once more from it, and only
   * a write sent now confirms the lease.
   */
  async #renew(
    key: Key,
    lease: Lease,
    leaseMs: number,
    settleOnce: boolean,
  ): Promise<Lease | null> {
    const state = lease.state as DatastoreLeaseState;
    const record = renewedRecord(state.record, leaseMs);
    try {
      const { version } = await this.rpc.commit({
        update: toEntity(key, record),
        baseVersion: String(state.version),
        conflictResolutionStrategy: 'FAIL',
      });
      return { ...lease, state: { version, record } };
    } catch (error) {
      if (isConflict(error)) return null;
      if (!isUnknownOutcome(error)) throw error;
      const stored = await this.#settle(key, lease.token, error);
      if (!stored) return null;
      // Still ours but unchanged: the renewal did not apply; let the caller retry it.
      if (stored.version === state.version || !settleOnce) throw unsettled('renewal', error);
      const current: Lease = {
        ...lease,
        state: { version: stored.version, record: stored.record },
      };
      return this.#renew(key, current, leaseMs, false);
    }
  }

  async release(hashedKey: string, lease: Lease): Promise<boolean> {
    const key = this.key(hashedKey);
    const state = lease.state as DatastoreLeaseState;
    try {
      await this.rpc.commit({
        delete: key,
        baseVersion: String(state.version),
        conflictResolutionStrategy: 'FAIL',
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      if (!isUnknownOutcome(error)) throw error;
      const stored = await this.#settle(key, lease.token, error);
      if (stored) throw unsettled('release', error);
      return true;
    }
  }

  protected key(hashedKey: string): Key {
    return lockKey(this.#kindName, this.#namespace, hashedKey);
  }

  /** Inserts a new record; `null` when one exists (or the outcome settled as not ours). */
  async #insert(key: Key, attempt: AcquireAttempt): Promise<Lease | null> {
    const record = newRecord(attempt.identifier, attempt.token, attempt.leaseMs);
    try {
      const result = await this.rpc.commit({ insert: toEntity(key, record) });
      return leaseOf(record, result.version);
    } catch (error) {
      if (grpcCode(error) === GRPC.ALREADY_EXISTS) return null;
      if (!isUnknownOutcome(error)) throw error;
      const stored = await this.#settle(key, attempt.token, error);
      return stored ? leaseOf(stored.record, stored.version) : null;
    }
  }

  /** Takes over `stored`, conditioned on the version just read: of two stealers one wins. */
  async #steal(key: Key, attempt: AcquireAttempt, stored: StoredRecord): Promise<Lease | null> {
    const record = takeoverRecord(attempt.identifier, attempt.token, attempt.leaseMs);
    try {
      const result = await this.rpc.commit({
        update: toEntity(key, record),
        baseVersion: String(stored.version),
        conflictResolutionStrategy: 'FAIL',
        propertyTransforms: STAMP_ACQUIRED_AT,
      });
      return leaseOf(record, result.version, result.transformResults[0]?.timestampValue);
    } catch (error) {
      // Released between our read and our write: it is free, so try a plain insert.
      if (grpcCode(error) === GRPC.NOT_FOUND)
        return this.#insert(key, { ...attempt, firstAttempt: true });
      if (isConflict(error)) return null;
      if (!isUnknownOutcome(error)) throw error;
      const mine = await this.#settle(key, attempt.token, error);
      return mine ? leaseOf(mine.record, mine.version) : null;
    }
  }

  /**
   * Settles a write whose answer was lost by reading the record: it is ours exactly when it
   * carries our token. Resolves our record, or `undefined` if it is not (or no longer) ours.
   */
  async #settle(key: Key, token: string, original: unknown): Promise<StoredRecord | undefined> {
    let stored: StoredRecord | undefined;
    try {
      stored = fromEntityResult((await this.rpc.lookup(key)).found);
    } catch (error) {
      throw new LockBackendError(
        `Datastore did not answer a lock write (${firstLine(original)}), and the record could not ` +
          'be read back to settle it. Check that Datastore is reachable and configured ' +
          '(DATASTORE_EMULATOR_HOST, DATASTORE_PROJECT_ID / GOOGLE_CLOUD_PROJECT, credentials, network).',
        { cause: new AggregateError([original, error], 'write and settling read both failed') },
      );
    }
    return stored?.record.token === token ? stored : undefined;
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error)
    .split('\n')[0]!
    .trim();
}

function isConflict(error: unknown): boolean {
  const code = grpcCode(error);
  return code === GRPC.FAILED_PRECONDITION || code === GRPC.NOT_FOUND;
}

function unsettled(step: string, cause: unknown): LockBackendError {
  return new LockBackendError(`The lock ${step} did not reach Datastore; it will be retried.`, {
    cause,
  });
}

export function leaseOf(
  record: LockRecord,
  version: bigint,
  serverAcquiredAt?: Parameters<typeof timestampToMs>[0],
): Lease {
  const acquiredAtMs = timestampToMs(serverAcquiredAt) ?? record.acquiredAtMs;
  const state: DatastoreLeaseState = { version, record: { ...record, acquiredAtMs } };
  return { token: record.token, fencingToken: version, state };
}
