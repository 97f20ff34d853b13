import type { Client as MemjsClient, ClientOptions, ServerOptions } from 'memjs';
import { LockError } from '../../errors.js';

/**
 * A lock step is at most two requests in a row (a write and the read that settles a lost answer),
 * so a 500 ms cap per request keeps a call on an unreachable or hung memcached under ~1.5 s.
 */
export const MAX_REQUEST_TIMEOUT_MS = 500;

/** memjs logs every failed request to `console` by default; failures reach the caller anyway. */
const SILENT_LOGGER = Object.freeze({ log: (): void => undefined });

/**
 * The memjs options gcp-locking builds its own client with, for a request deadline of
 * `timeoutMs`. Recommended for an injected client too.
 */
export function lockClientOptions(timeoutMs: number): ClientOptions & ServerOptions {
  const timeoutSeconds = Math.min(timeoutMs, MAX_REQUEST_TIMEOUT_MS) / 1000;
  return {
    // Failover sends a key to another server while its own is down: two holders of one lock.
    failover: false,
    // A retried write whose answer was lost could apply twice; lock steps settle it by reading.
    retries: 0,
    timeout: timeoutSeconds,
    conntimeout: timeoutSeconds,
    // TCP keep-alive notices a vanished server on an idle connection.
    keepAlive: true,
    keepAliveDelay: 30,
    logger: SILENT_LOGGER,
  };
}

/** Builds a memjs client for `servers` (`host:port,host:port`), loading memjs on first use. */
export async function memjsClientFor(servers: string, timeoutMs: number): Promise<MemjsClient> {
  let memjs: typeof import('memjs');
  try {
    memjs = await import('memjs');
  } catch (error) {
    throw new LockError(
      'WEAK locks need memjs: run `npm install memjs`, or use createLocking({ backend: "memory" }) ' +
        'in unit tests.',
      { cause: error },
    );
  }
  return memjs.Client.create(servers, lockClientOptions(timeoutMs));
}

/** Refuses an injected client that could let two holders in, or is not a memjs client at all. */
export function checkInjectedClient(client: MemjsClient): void {
  const candidate = client as Partial<MemjsClient>;
  if (typeof candidate.perform !== 'function' || typeof candidate.incrSeq !== 'function') {
    throw new TypeError(
      'Option "memcache" must be a memjs Client (memjs.Client.create(servers, options)).',
    );
  }
  if (candidate.options?.failover) {
    throw new TypeError(
      'Option "memcache" is a memjs client built with failover: true. Failover sends a lock to ' +
        'another server while its own is unreachable, which lets two holders in: build it with ' +
        'failover: false.',
    );
  }
}

/**
 * How long to wait for memjs to call back at all: its connect plus answer timeouts (from the
 * client's server options, in seconds) and a margin; `fallbackMs` when they are unknown.
 */
export function answerDeadlineMs(client: MemjsClient, fallbackMs: number): number {
  const options = client.servers?.[0]?.options;
  const timeout = options?.timeout;
  const conntimeout = options?.conntimeout;
  if (typeof timeout !== 'number' || typeof conntimeout !== 'number') return fallbackMs;
  return Math.ceil((timeout + conntimeout) * 1000) + DEADLINE_MARGIN_MS;
}

const DEADLINE_MARGIN_MS = 100;
