import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './ports.js';
import { startGroup, type ServiceProcess } from './process-group.js';

/** A running memcached. `servers` is what MEMCACHE_SERVERS takes. */
export interface RunningMemcached {
  readonly servers: string;
  readonly port: number;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

export function findMemcached(): string {
  for (const candidate of ['/usr/bin/memcached', '/usr/local/bin/memcached']) {
    try {
      execFileSync(candidate, ['-V'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'memcached was not found. Install it (`apt-get install -y memcached` on Debian/Ubuntu, ' +
      '`brew install memcached` on macOS), or set MEMCACHE_SERVERS to a server you run yourself.',
  );
}

/** Starts memcached on `port` (a free one by default) in its own process group. */
export async function startMemcached({ port }: { port?: number } = {}): Promise<RunningMemcached> {
  const binary = findMemcached();
  const chosen = port ?? (await freePort());
  const logDir = mkdtempSync(join(tmpdir(), 'gcp-locking-memcached-'));
  // -U 0: no UDP. -u: memcached refuses to run as root without naming a user.
  const args = ['-l', '127.0.0.1', '-p', String(chosen), '-U', '0', '-m', '64'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const service = startGroup(binary, args, join(logDir, 'memcached.log'));
  await waitForPort(chosen, service);
  return {
    servers: `127.0.0.1:${chosen}`,
    port: chosen,
    process: service,
    stop: () => service.stop(),
  };
}

async function waitForPort(
  port: number,
  service: ServiceProcess,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `memcached exited early (code ${service.child.exitCode}); see ${service.logFile}.`,
      );
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(50);
  }
  throw new Error(
    `memcached on port ${port} did not start within ${timeoutMs} ms; see ${service.logFile}.`,
  );
}
