/** Helpers of the WEAK suites: look at memcached directly, and catch unhandled rejections. */
import { connect } from 'node:net';
import { lockKeyFor } from '../../src/identifier.js';
import { DEFAULT_LOCKING } from '../../src/locking-options.js';
import { TEST_ENV } from '../support/env.js';

/** The memcached the runner started (or the developer's), as MEMCACHE_SERVERS says. */
export function sharedMemcache(): string {
  const servers = process.env[TEST_ENV.memcache];
  if (!servers)
    throw new Error(`${TEST_ENV.memcache} is not set: run the suites through npm test.`);
  return servers;
}

let sequence = 0;
export function uniqueId(label: string): string {
  sequence += 1;
  return `weak:${label}:${process.pid}:${Date.now()}:${sequence}`;
}

/** The memcached key a WEAK lock on `identifier` lives under. */
export function memcacheKeyOf(
  identifier: string,
  prefix: string = DEFAULT_LOCKING.memcacheKeyPrefix,
): string {
  return prefix + lockKeyFor(identifier);
}

export interface StoredItem {
  /** Seconds memcached will keep the item (its remaining TTL). */
  readonly ttlSeconds: number;
  readonly value: string;
}

/**
 * Reads an item through memcached's text meta command `mg <key> t v`, which answers the remaining
 * TTL (memjs cannot ask for it). `null` when there is no such item.
 */
export function inspectItem(servers: string, key: string): Promise<StoredItem | null> {
  const [host, port] = servers.split(',')[0]!.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port ?? 11211), host, () => socket.write(`mg ${key} t v\r\n`));
    let answer = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('memcached did not answer mg')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.startsWith('EN\r\n')) {
        socket.end();
        resolve(null);
        return;
      }
      const match = /^VA (\d+) t(-?\d+)\r\n/.exec(answer);
      if (match && answer.length >= match[0].length + Number(match[1]) + 2) {
        socket.end();
        resolve({
          ttlSeconds: Number(match[2]),
          value: answer.slice(match[0].length, match[0].length + Number(match[1])),
        });
      }
    });
  });
}

/** Collects every unhandled rejection while installed; `stop()` removes the listener. */
export function watchUnhandledRejections(): { readonly seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { seen, stop: () => process.off('unhandledRejection', listener) };
}
