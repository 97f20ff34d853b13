import type { Client as MemjsClient } from 'memjs';
import type { LockBackend } from '../backend.js';
import { MemcacheBackend } from './backend.js';
import { answerDeadlineMs, checkInjectedClient, memjsClientFor } from './client.js';
import { MemcacheWire } from './wire.js';

export interface MemcacheBackendOptions {
  client: MemjsClient | undefined;
  servers: string;
  keyPrefix: string;
  timeoutMs: number;
}

/** memcached refuses keys longer than 250 bytes; ours are the prefix and a 64-character hash. */
const MAX_KEY_BYTES = 250;
const HASH_LENGTH = 64;

/** A WEAK backend on the given memjs client, or on one built for `servers`. */
export async function createMemcacheBackend(options: MemcacheBackendOptions): Promise<LockBackend> {
  const { client, servers, keyPrefix, timeoutMs } = options;
  if (Buffer.byteLength(keyPrefix, 'utf8') + HASH_LENGTH > MAX_KEY_BYTES) {
    throw new RangeError(
      `Option "memcacheKeyPrefix" is too long: memcached keys are at most ${MAX_KEY_BYTES} bytes ` +
        `and the lock adds ${HASH_LENGTH}, so keep the prefix to ${MAX_KEY_BYTES - HASH_LENGTH} bytes.`,
    );
  }
  if (client) {
    checkInjectedClient(client);
    return new MemcacheBackend({
      wire: new MemcacheWire(client, answerDeadlineMs(client, timeoutMs)),
      keyPrefix,
      servers: describeServers(client, servers),
    });
  }
  const built = await memjsClientFor(servers, timeoutMs);
  return new MemcacheBackend({
    wire: new MemcacheWire(built, answerDeadlineMs(built, timeoutMs), true),
    keyPrefix,
    servers,
    closeClient: () => built.close(),
  });
}

function describeServers(client: MemjsClient, fallback: string): string {
  const list = (client.servers ?? []).map((server) => `${server.host}:${server.port}`);
  return list.length > 0 ? list.join(',') : fallback;
}
