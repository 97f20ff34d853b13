import type { Datastore } from '@google-cloud/datastore';

/**
 * The few Datastore v1 requests the lock needs, sent through the client's own typed low-level
 * request path. The high-level `save/insert/update` expose no `baseVersion`, and `get()` drops
 * versions and times, so the lock speaks the v1 protocol directly (google/datastore/v1/datastore.proto).
 */

export interface Timestamp {
  seconds?: string | number | { toString(): string } | null;
  nanos?: number | null;
}

export interface Value {
  stringValue?: string;
  integerValue?: string | number;
  timestampValue?: Timestamp;
  booleanValue?: boolean;
  excludeFromIndexes?: boolean;
}

export interface Key {
  partitionId: { namespaceId: string };
  path: { kind: string; name: string }[];
}

export interface Entity {
  key: Key;
  properties: Record<string, Value>;
}

export interface EntityResult {
  entity?: Entity | null;
  version?: string | number | { toString(): string } | null;
  updateTime?: Timestamp | null;
  createTime?: Timestamp | null;
}

export interface Mutation {
  insert?: Entity;
  update?: Entity;
  upsert?: Entity;
  delete?: Key;
  baseVersion?: string;
  conflictResolutionStrategy?: 'FAIL';
  propertyTransforms?: { property: string; setToServerValue: 'REQUEST_TIME' }[];
}

export interface CommitResult {
  version: bigint;
  /** Values of `propertyTransforms`, in order; empty where the service ignores transforms. */
  transformResults: Value[];
}

export interface LookupResult {
  found: EntityResult | undefined;
  /** Server time of the read, or `null` where the service gives none (the legacy emulator). */
  readTimeMs: number | null;
}

/** gRPC status codes the protocol branches on. */
export const GRPC = Object.freeze({
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
});

const UNKNOWN_OUTCOME: ReadonlySet<number> = new Set([
  GRPC.CANCELLED,
  GRPC.UNKNOWN,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.ABORTED,
  GRPC.INTERNAL,
  GRPC.UNAVAILABLE,
]);

/** The gRPC status code of a client error, if it has one. */
export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True when a write may or may not have been applied: settle it by reading the record. */
export function isUnknownOutcome(error: unknown): boolean {
  const code = grpcCode(error);
  // An error without a gRPC code (a client-side timeout, a socket reset) is just as unknown.
  return code === undefined || UNKNOWN_OUTCOME.has(code);
}

interface LowLevelClient {
  request_(
    config: { client: string; method: string; reqOpts: object; gaxOpts: object },
    callback: (error: Error | null, response?: unknown) => void,
  ): void;
}

export class DatastoreRpc {
  readonly #client: LowLevelClient;
  readonly #gaxOpts: object;

  constructor(datastore: Datastore, timeoutMs: number) {
    this.#client = datastore as unknown as LowLevelClient;
    // No client-side retries: a lock step retried blindly could apply twice; unknown outcomes are
    // settled by the protocol instead. Lookups are idempotent but must also fail fast.
    this.#gaxOpts = { timeout: timeoutMs, retry: { retryCodes: [] } };
  }

  async commit(mutation: Mutation, transaction?: Uint8Array): Promise<CommitResult> {
    const response = (await this.#request('commit', { mutations: [mutation] }, transaction)) as {
      mutationResults?: { version?: unknown; transformResults?: Value[] }[];
    };
    const result = response.mutationResults?.[0];
    return {
      version: toBigInt(result?.version),
      transformResults: result?.transformResults ?? [],
    };
  }

  async lookup(key: Key, transaction?: Uint8Array): Promise<LookupResult> {
    const response = (await this.#request('lookup', {
      keys: [key],
      ...(transaction ? { readOptions: { transaction } } : {}),
    })) as { found?: EntityResult[]; readTime?: Timestamp | null };
    return { found: response.found?.[0], readTimeMs: timestampToMs(response.readTime) };
  }

  async beginTransaction(): Promise<Uint8Array> {
    const response = (await this.#request('beginTransaction', {
      transactionOptions: { readWrite: {} },
    })) as { transaction: Uint8Array };
    return response.transaction;
  }

  async rollback(transaction: Uint8Array): Promise<void> {
    await this.#request('rollback', {}, transaction);
  }

  /** Runs a v1 query (`query` is a google.datastore.v1.Query); used by cleanup and the CLI. */
  async runQuery(
    namespace: string,
    query: object,
  ): Promise<{
    entityResults: EntityResult[];
    endCursor: Uint8Array | undefined;
    moreResults: string;
    readTimeMs: number | null;
  }> {
    const response = (await this.#request('runQuery', {
      partitionId: { namespaceId: namespace },
      query,
    })) as {
      batch?: {
        entityResults?: EntityResult[];
        endCursor?: Uint8Array;
        moreResults?: string;
        readTime?: Timestamp | null;
      };
    };
    const batch = response.batch ?? {};
    return {
      entityResults: batch.entityResults ?? [],
      endCursor: batch.endCursor,
      moreResults: batch.moreResults ?? 'NO_MORE_RESULTS',
      readTimeMs: timestampToMs(batch.readTime),
    };
  }

  #request(method: string, reqOpts: object, transaction?: Uint8Array): Promise<unknown> {
    // request_ sets commit's mode, and rollback's transaction, from `this.id`: a transactional
    // call runs with a view of the client whose `id` is the transaction.
    const client: LowLevelClient = transaction
      ? (Object.create(this.#client, { id: { value: transaction } }) as LowLevelClient)
      : this.#client;
    return new Promise((resolve, reject) => {
      client.request_(
        { client: 'DatastoreClient', method, reqOpts, gaxOpts: this.#gaxOpts },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }
}

export function toBigInt(value: unknown): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string') {
    return BigInt(value);
  }
  // protobufjs Long
  return BigInt((value as { toString(): string }).toString());
}

export function timestampToMs(timestamp: Timestamp | null | undefined): number | null {
  if (!timestamp || timestamp.seconds === undefined || timestamp.seconds === null) return null;
  return Number(String(timestamp.seconds)) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

export function msToTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round(ms - seconds * 1000) * 1e6 };
}
