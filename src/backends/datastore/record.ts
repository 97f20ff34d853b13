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
  /**
   * When the current holder acquired it. Read back on the server's clock where the service keeps
   * one: the entity's createTime for a record its holder inserted, the REQUEST_TIME stamped into
   * `acquiredAt` for one taken over (`stamped`). Else the writer's clock.
   */
  readonly acquiredAtMs: number;
  /** `acquiredAt` was stamped by the server (takeovers); an insert leaves it to createTime. */
  readonly stamped: boolean;
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
    stamped: false,
    renewedAtMs: nowMs,
    expireAtMs: nowMs + leaseMs,
  };
}

/** A record for a takeover: the server stamps `acquiredAt`, since createTime is the old holder's. */
export function takeoverRecord(identifier: string, token: string, leaseMs: number): LockRecord {
  return { ...newRecord(identifier, token, leaseMs), stamped: true };
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
      acquiredAtStamped: { booleanValue: record.stamped, ...unindexed },
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
  const stamped = properties.acquiredAtStamped?.booleanValue === true;
  const createTimeMs = timestampToMs(result.createTime);
  return {
    record: {
      identifier: text('identifier'),
      token: text('token'),
      leaseMs: Number(properties.leaseMs?.integerValue ?? 0),
      acquiredAtMs: stamped ? time('acquiredAt') : (createTimeMs ?? time('acquiredAt')),
      stamped,
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

/**
 * A takeover asks the server to stamp `acquiredAt` with its own clock. A plain insert does not need
 * to: its createTime is the acquisition time (one transform less on the hot path).
 */
export const STAMP_ACQUIRED_AT = [
  { property: 'acquiredAt', setToServerValue: 'REQUEST_TIME' as const },
];
