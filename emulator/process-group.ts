import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** A service started in its own process group, so stopping it also ends the Java child. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  stop(): Promise<void>;
}

const running = new Set<ServiceProcess>();

/** Starts `command` as the leader of a new process group, logging to `logFile`. */
export function startGroup(command: string, args: string[], logFile: string): ServiceProcess {
  const log = createWriteStream(logFile);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const reaper = startReaper(child);
  const service: ServiceProcess = {
    child,
    logFile,
    async stop() {
      running.delete(service);
      await killGroup(child);
      reaper?.kill('SIGKILL');
    },
  };
  running.add(service);
  return service;
}

/**
 * Exit hooks cannot run when this process is killed with SIGKILL. A tiny detached shell watches
 * this process and kills the service's group once it is gone, so nothing outlives us.
 */
function startReaper(child: ChildProcess): ChildProcess | undefined {
  if (child.pid === undefined) return undefined;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 -${child.pid} 2>/dev/null`;
  const reaper = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  reaper.unref();
  return reaper;
}

/** SIGTERM to the whole group, SIGKILL after 5 s; resolves when the leader has exited. */
export async function killGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, 'SIGKILL'); // stray children of an exited leader
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  const timer = delay(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([exited, timer])) === 'timeout') {
    signalGroup(child, 'SIGKILL');
    await exited;
  }
  // The JVM may leave helper processes in the group after the leader exits.
  signalGroup(child, 'SIGKILL');
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Synchronously kills every group still running: for `exit` handlers. */
export function killAllNow(): void {
  // The reapers see this process go and exit by themselves within a second.
  for (const service of running) signalGroup(service.child, 'SIGKILL');
  running.clear();
}

let hooked = false;
/** Makes sure no service outlives this process, however it ends. */
export function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
