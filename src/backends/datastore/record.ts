import {
  msToTimestamp,
  timestampToMs,
  toBigInt,
  type Entity,
  type EntityResult,
  type Key,
} from './rpc.js';

/** What one lock record holds. Times are epoch milliseconds. */
export interface LockRecord {
  /** The raw identifier, for humans (cut to {@link STORED_IDENTIFIER_CHARS}). */
  readonly identifier: string;
  readonly token: string;
  readonly leaseMs: number;
  /** When the current holder acquired it: the server's REQUEST_TIME where transforms are supported. */
  readonly acquiredAtMs: number;
  /** The writer's clock at its last write: the legacy emulator's only notion of time. */
  readonly renewedAtMs: number;
  /** renewedAt + leaseMs, indexed: what cleanup queries and a Firestore TTL policy read. */
  readonly expireAtMs: number;
}

/** A record as read back, with the metadata the protocol judges it by. */
export interface StoredRecord {
  readonly record: LockRecord;
  readonly version: bigint;
  /** Server time of the last write, or `null` where the service gives none. */
  readonly updateTimeMs: number | null;
}

/** Entities are at most 1 MiB; the identifier is only for humans, the key is its hash. */
export const STORED_IDENTIFIER_CHARS = 1500;

export function lockKey(kindName: string, namespace: string, hashedKey: string): Key {
  return { partitionId: { namespaceId: namespace }, path: [{ kind: kindName, name: hashedKey }] };
}

export function newRecord(
  identifier: string,
  token: string,
  leaseMs: number,
  nowMs = Date.now(),
): LockRecord {
  return {
    identifier: identifier.slice(0, STORED_IDENTIFIER_CHARS),
    token,
    leaseMs,
    acquiredAtMs: nowMs,
    renewedAtMs: nowMs,
    expireAtMs: nowMs + leaseMs,
  };
}

export function renewedRecord(record: LockRecord, leaseMs: number, nowMs = Date.now()): LockRecord {
  return { ...record, leaseMs, renewedAtMs: nowMs, expireAtMs: nowMs + leaseMs };
}

export function toEntity(key: Key, record: LockRecord): Entity {
  const unindexed = { excludeFromIndexes: true };
  return {
    key,
    properties: {
      identifier: { stringValue: record.identifier, ...unindexed },
      token: { stringValue: record.token, ...unindexed },
      leaseMs: { integerValue: String(record.leaseMs), ...unindexed },
      acquiredAt: { timestampValue: msToTimestamp(record.acquiredAtMs), ...unindexed },
      renewedAt: { timestampValue: msToTimestamp(record.renewedAtMs), ...unindexed },
      expireAt: { timestampValue: msToTimestamp(record.expireAtMs) },
    },
  };
}

/** Decodes a lookup or query result; `undefined` for a missing entity. */
export function fromEntityResult(result: EntityResult | undefined): StoredRecord | undefined {
  const properties = result?.entity?.properties;
  if (!result || !properties || Object.keys(properties).length === 0) return undefined;
  const text = (name: string): string => properties[name]?.stringValue ?? '';
  const time = (name: string): number => timestampToMs(properties[name]?.timestampValue) ?? 0;
  return {
    record: {
      identifier: text('identifier'),
      token: text('token'),
      leaseMs: Number(properties.leaseMs?.integerValue ?? 0),
      acquiredAtMs: time('acquiredAt'),
      renewedAtMs: time('renewedAt'),
      expireAtMs: time('expireAt'),
    },
    version: toBigInt(result.version),
    updateTimeMs: timestampToMs(result.updateTime),
  };
}

export type Verdict = 'live' | 'expired' | 'stealable';

/**
 * Judges a record on the server's clock when the service gives one (the lookup's `readTime`
 * against the record's `updateTime`), else on this process's clock (the legacy emulator): then
 * clocks of different processes must agree to well within a lease.
 */
export function judge(
  stored: StoredRecord,
  readTimeMs: number | null,
  stealAfterMs: number | undefined,
): Verdict {
  const { record } = stored;
  const serverTime = readTimeMs !== null && stored.updateTimeMs !== null;
  const nowMs = serverTime ? readTimeMs : Date.now();
  const lastWriteMs = serverTime ? (stored.updateTimeMs ?? 0) : record.renewedAtMs;
  if (nowMs - lastWriteMs >= record.leaseMs) return 'expired';
  if (stealAfterMs !== undefined && nowMs - record.acquiredAtMs >= stealAfterMs) return 'stealable';
  return 'live';
}

/** Every acquiring write asks the server to stamp `acquiredAt` with its own clock. */
export const STAMP_ACQUIRED_AT = [
  { property: 'acquiredAt', setToServerValue: 'REQUEST_TIME' as const },
];
