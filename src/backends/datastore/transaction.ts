import { LockBackendError } from '../../errors.js';
import type { AcquireAttempt, AttemptResult, Lease, LockBackend } from '../backend.js';
import { leaseOf, type DatastoreBackendSettings, type DatastoreLeaseState } from './conditional.js';
import {
  fromEntityResult,
  judge,
  lockKey,
  takeoverRecord,
  renewedRecord,
  STAMP_ACQUIRED_AT,
  toEntity,
  type StoredRecord,
} from './record.js';
import { grpcCode, GRPC, type DatastoreRpc, type Key } from './rpc.js';

/**
 * The original djangae protocol: begin a transaction, look the record up, write, commit. Three
 * RPCs per step (four when it must roll back). Contention means "not acquired this round". It
 * writes the same record as the conditional protocol, so the two interoperate.
 */
export class TransactionalDatastoreBackend implements LockBackend {
  readonly name = 'datastore-transaction';
  readonly fenced = true;
  readonly #rpc: DatastoreRpc;
  readonly #kindName: string;
  readonly #namespace: string;

  constructor({ rpc, kindName, namespace }: DatastoreBackendSettings) {
    this.#rpc = rpc;
    this.#kindName = kindName;
    this.#namespace = namespace;
  }

  async tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult> {
    const key = lockKey(this.#kindName, this.#namespace, attempt.key);
    const outcome = await this.#inTransaction(key, async (stored, readTimeMs, transaction) => {
      const verdict = stored && judge(stored, readTimeMs, attempt.stealAfterMs);
      if (verdict === 'live') return undefined;
      // An upsert may land on an old record, whose createTime is not this acquisition's.
      const record = takeoverRecord(attempt.identifier, attempt.token, attempt.leaseMs);
      const result = await this.#rpc.commit(
        { upsert: toEntity(key, record), propertyTransforms: STAMP_ACQUIRED_AT },
        transaction,
      );
      return {
        lease: leaseOf(record, result.version, result.transformResults[0]?.timestampValue),
        stole: stored !== undefined,
        overruled: verdict === 'stealable',
      };
    });
    return outcome ? { acquired: true, ...outcome } : { acquired: false };
  }

  async renew(hashedKey: string, lease: Lease, leaseMs: number): Promise<Lease | null> {
    const key = lockKey(this.#kindName, this.#namespace, hashedKey);
    const renewed = await this.#inTransaction(key, async (stored, _readTimeMs, transaction) => {
      if (stored?.record.token !== lease.token) return null;
      const record = renewedRecord(stored.record, leaseMs);
      const { version } = await this.#rpc.commit({ update: toEntity(key, record) }, transaction);
      return { ...lease, state: { version, record } satisfies DatastoreLeaseState };
    });
    // Contention on our own record: not extended; the lock retries until its lease runs out.
    if (renewed === undefined) {
      throw new LockBackendError(
        'The lock renewal lost a transaction conflict; it will be retried.',
      );
    }
    return renewed;
  }

  async release(hashedKey: string, lease: Lease): Promise<boolean> {
    const key = lockKey(this.#kindName, this.#namespace, hashedKey);
    const released = await this.#inTransaction(key, async (stored, _readTimeMs, transaction) => {
      if (stored?.record.token !== lease.token) return false;
      await this.#rpc.commit({ delete: key }, transaction);
      return true;
    });
    return released ?? false;
  }

  /**
   * Runs begin → lookup → `work` (which commits, or resolves without writing). Resolves `work`'s
   * value, or `undefined` when it wrote nothing or lost to a concurrent transaction.
   */
  async #inTransaction<T>(
    key: Key,
    work: (
      stored: StoredRecord | undefined,
      readTimeMs: number | null,
      transaction: Uint8Array,
    ) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    // Begun explicitly: a lazily begun transaction always times out on the Firestore emulator.
    const transaction = await this.#rpc.beginTransaction();
    let committed = false;
    try {
      const { found, readTimeMs } = await this.#rpc.lookup(key, transaction);
      const value = await work(fromEntityResult(found), readTimeMs, transaction);
      committed = value !== undefined && value !== null && value !== false;
      return value;
    } catch (error) {
      if (grpcCode(error) === GRPC.ABORTED) return undefined;
      throw error;
    } finally {
      if (!committed) await this.#rpc.rollback(transaction).catch(() => undefined);
    }
  }
}
