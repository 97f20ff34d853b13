import type { Datastore } from '@google-cloud/datastore';
import type { Client as MemjsClient } from 'memjs';
import type { LockBackend } from './backends/backend.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { describe } from './identifier.js';
import type { LockKind } from './kinds.js';
import { checkMs, checkOptionsObject, resolveLockOptions, type LockOptions } from './options.js';

/** The STRONG protocols: see the README's design notes. */
export type StrongProtocol = 'conditional' | 'transaction';

/** Settings of a `Locking` instance (`createLocking(options)`). Every field is optional. */
export interface LockingOptions {
  /**
   * The Datastore client for STRONG locks.
   * @default a client built from the environment: DATASTORE_EMULATOR_HOST, DATASTORE_PROJECT_ID or
   * GOOGLE_CLOUD_PROJECT, then Application Default Credentials.
   */
  datastore?: Datastore;
  /**
   * A memjs client for WEAK locks. Build it for locks: no failover, bounded timeouts.
   * @default a client for MEMCACHE_SERVERS, else 127.0.0.1:11211
   */
  memcache?: MemjsClient;
  /** Comma-separated `host:port` list for the memcached client this instance builds. @default process.env.MEMCACHE_SERVERS ?? '127.0.0.1:11211' */
  memcacheServers?: string;
  /** Prefix of memcached keys. @default 'gcp-locking:' */
  memcacheKeyPrefix?: string;
  /**
   * `'memory'` keeps both kinds in this process (for unit tests of your own code), or give your
   * own `LockBackend` per kind.
   * @default undefined (Datastore for STRONG, memcached for WEAK)
   */
  backend?: 'memory' | Partial<Record<LockKind, LockBackend>>;
  /**
   * STRONG protocol: `'conditional'` (single conditional commits, one RPC per step) or
   * `'transaction'` (begin, lookup, commit, as the original did).
   * @default 'conditional'
   */
  protocol?: StrongProtocol;
  /** Datastore kind of lock records. @default 'GcpLockingLock' */
  kindName?: string;
  /** Datastore namespace of lock records. @default '' (the default namespace) */
  namespace?: string;
  /** Deadline of each backend request. @default 10000 */
  rpcTimeoutMs?: number;
  /** Polling delays while waiting. @default { initialMs: 20, maxMs: 200 } */
  backoff?: BackoffOptions;
  /** Defaults for every acquisition through this instance (any `LockOptions` but `signal`). */
  defaults?: Omit<LockOptions, 'signal'>;
}

export interface ResolvedLocking {
  readonly datastore: Datastore | undefined;
  readonly memcache: MemjsClient | undefined;
  readonly memcacheServers: string;
  readonly memcacheKeyPrefix: string;
  readonly backend: 'memory' | Partial<Record<LockKind, LockBackend>> | undefined;
  readonly protocol: StrongProtocol;
  readonly kindName: string;
  readonly namespace: string;
  readonly rpcTimeoutMs: number;
  readonly backoff: Required<BackoffOptions>;
  readonly defaults: Omit<LockOptions, 'signal'>;
}

export const DEFAULT_LOCKING = Object.freeze({
  memcacheKeyPrefix: 'gcp-locking:',
  protocol: 'conditional',
  kindName: 'GcpLockingLock',
  namespace: '',
  rpcTimeoutMs: 10_000,
} as const);

const KNOWN: ReadonlySet<string> = new Set([
  'datastore',
  'memcache',
  'memcacheServers',
  'memcacheKeyPrefix',
  'backend',
  'protocol',
  'kindName',
  'namespace',
  'rpcTimeoutMs',
  'backoff',
  'defaults',
]);

/** Applies defaults and validates `createLocking` options, naming the option at fault. */
export function resolveLocking(options?: LockingOptions): ResolvedLocking {
  const given = checkOptionsObject(options, 'createLocking options', KNOWN);
  const protocol = given.protocol ?? DEFAULT_LOCKING.protocol;
  if (protocol !== 'conditional' && protocol !== 'transaction') {
    throw new TypeError(
      `Option "protocol" must be 'conditional' or 'transaction', got ${describe(protocol)}.`,
    );
  }
  const backend = given.backend;
  if (
    backend !== undefined &&
    backend !== 'memory' &&
    (typeof backend !== 'object' || backend === null)
  ) {
    throw new TypeError(
      `Option "backend" must be 'memory' or { strong?, weak? } backends, got ${describe(backend)}.`,
    );
  }
  const defaults = given.defaults as Omit<LockOptions, 'signal'> | undefined;
  if (defaults !== undefined) {
    if (defaults !== null && typeof defaults === 'object' && 'signal' in defaults) {
      throw new TypeError('Option "defaults" cannot hold a signal: pass signal per acquisition.');
    }
    resolveLockOptions(defaults);
  }
  const backoff = checkOptionsObject(
    given.backoff,
    'backoff options',
    new Set(['initialMs', 'maxMs']),
  );
  return {
    datastore: checkClient(
      given.datastore,
      'datastore',
      'a Datastore from @google-cloud/datastore',
    ),
    memcache: checkClient(given.memcache, 'memcache', 'a memjs Client'),
    memcacheServers: checkString(
      given.memcacheServers,
      'memcacheServers',
      process.env.MEMCACHE_SERVERS || '127.0.0.1:11211',
    ),
    memcacheKeyPrefix: checkString(
      given.memcacheKeyPrefix,
      'memcacheKeyPrefix',
      DEFAULT_LOCKING.memcacheKeyPrefix,
    ),
    backend,
    protocol,
    kindName: checkString(given.kindName, 'kindName', DEFAULT_LOCKING.kindName),
    namespace: checkString(given.namespace, 'namespace', DEFAULT_LOCKING.namespace, true),
    rpcTimeoutMs: checkMs(given, 'rpcTimeoutMs', 1) ?? DEFAULT_LOCKING.rpcTimeoutMs,
    backoff: {
      initialMs: checkMs(backoff, 'initialMs', 1) ?? DEFAULT_BACKOFF.initialMs,
      maxMs: checkMs(backoff, 'maxMs', 1) ?? DEFAULT_BACKOFF.maxMs,
    },
    defaults: defaults ?? {},
  };
}

function checkString(value: unknown, name: string, fallback: string, allowEmpty = false): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new TypeError(`Option "${name}" must be a non-empty string, got ${describe(value)}.`);
  }
  return value;
}

function checkClient<T>(value: unknown, name: string, what: string): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`Option "${name}" must be ${what}, got ${describe(value)}.`);
  }
  return value as T;
}
