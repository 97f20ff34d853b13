import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy for fault injection between a client and a service (a Datastore emulator,
 * memcached). It works below gRPC/HTTP-2, so the client needs no change: point it at `host`.
 *
 * Faults: `setDelayMs` holds every chunk back (in order) before forwarding it; `dropAll` closes
 * every open connection (calls in flight get an unknown outcome); `blackhole` keeps connections
 * open but forwards nothing until `restore`, which then closes them so clients reconnect;
 * `setTarget` points new connections at another port (a restarted service).
 */
export interface FaultProxy {
  /** `127.0.0.1:port`: what DATASTORE_EMULATOR_HOST / MEMCACHE_SERVERS / apiEndpoint take. */
  readonly host: string;
  readonly port: number;
  /** Counters, for reports. */
  readonly stats: { connections: number; dropped: number; blackholed: number };
  setTarget(port: number): void;
  setDelayMs(ms: number): void;
  dropAll(): number;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Bytes forwarded so far are not recalled; pending delayed chunks are dropped on close. */
  readonly timers: Set<NodeJS.Timeout>;
}

/** Starts a proxy on a free loopback port that forwards to `127.0.0.1:targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let target = targetPort;
  let delayMs = 0;
  let blackholed = false;
  const pairs = new Set<Pair>();
  const stats = { connections: 0, dropped: 0, blackholed: 0 };

  const destroy = (pair: Pair): void => {
    for (const timer of pair.timers) clearTimeout(timer);
    pair.timers.clear();
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };

  // Delayed chunks keep their order: each is due no earlier than the one before it.
  const forwarder = (pair: Pair, to: () => Socket | undefined) => {
    let lastDueAt = 0;
    return (chunk: Buffer): void => {
      if (blackholed) return;
      if (delayMs <= 0 && pair.timers.size === 0) {
        to()?.write(chunk);
        return;
      }
      const dueAt = Math.max(Date.now() + delayMs, lastDueAt);
      lastDueAt = dueAt;
      const timer = setTimeout(() => {
        pair.timers.delete(timer);
        to()?.write(chunk);
      }, dueAt - Date.now());
      pair.timers.add(timer);
    };
  };

  const server: Server = createServer((client) => {
    stats.connections += 1;
    const pair: Pair = { client, upstream: undefined, timers: new Set() };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    if (blackholed) {
      stats.blackholed += 1;
      client.on('data', () => undefined);
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    client.on(
      'data',
      forwarder(pair, () => pair.upstream),
    );
    upstream.on(
      'data',
      forwarder(pair, () => pair.client),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('The fault proxy has no port.');
  const port = address.port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    stats,
    setTarget(next) {
      target = next;
    },
    setDelayMs(ms) {
      delayMs = Math.max(0, ms);
    },
    dropAll() {
      const count = pairs.size;
      stats.dropped += count;
      for (const pair of [...pairs]) destroy(pair);
      return count;
    },
    blackhole() {
      blackholed = true;
      stats.blackholed += pairs.size;
    },
    restore() {
      if (!blackholed) return;
      blackholed = false;
      // Streams that swallowed bytes are corrupt mid-frame: close them so clients reconnect.
      for (const pair of [...pairs]) destroy(pair);
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
