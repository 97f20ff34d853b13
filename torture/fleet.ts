import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { sharedNowMs } from './clock.js';
import type { Section } from './checker.js';
import type { WorkerConfig, WorkerMessage } from './messages.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

type Begin = Extract<WorkerMessage, { type: 'begin' }>;
type ErrorMessage = Extract<WorkerMessage, { type: 'error' }>;

interface Worker {
  readonly holder: string;
  readonly child: ChildProcess;
  open: (Begin & { epoch: number }) | undefined;
  killedByUs: boolean;
  exited: Promise<void>;
  exit: { code: number | null; signal: string | null } | undefined;
  stderrTail: string[];
  pauses: { from: number; to: number }[];
}

/** What the fleet saw that is not a section: the raw material of the liveness checks. */
export interface FleetLog {
  readonly sections: Section[];
  readonly errors: ErrorMessage[];
  readonly problems: { rule: string; detail: string }[];
  /** Per-process error of `timeOrigin + now()` against the wall clock (why it is not used). */
  readonly originOffsetsMs: number[];
  spawned: number;
  kills: number;
  pauses: number;
}

/**
 * The worker processes of one run: spawns them, reads their JSON lines, kills (SIGKILL) and pauses
 * (SIGSTOP / SIGCONT) them on request, and replaces killed ones while the run lasts.
 */
export class Fleet {
  readonly log: FleetLog = {
    sections: [],
    errors: [],
    problems: [],
    originOffsetsMs: [],
    spawned: 0,
    kills: 0,
    pauses: 0,
  };
  readonly #workers = new Map<string, Worker>();
  readonly #config: Omit<WorkerConfig, 'holder' | 'skewMs'>;
  readonly #name: string;
  #epoch = 0;
  #stopped = false;
  #sequence = 0;
  /** Listeners for `begin` lines (fault scheduling waits on them). */
  readonly #onBegin = new Set<(holder: string) => void>();

  constructor(name: string, config: Omit<WorkerConfig, 'holder' | 'skewMs'>) {
    this.#name = name;
    this.#config = config;
  }

  spawnWorker(skewMs = 0): string {
    this.#sequence += 1;
    const holder = `${this.#name}#${this.#sequence}${skewMs ? `(skew ${skewMs / 1000}s)` : ''}`;
    const config: WorkerConfig = { ...this.#config, holder, skewMs };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', DATASTORE_EMULATOR_HOST: '' },
    });
    const worker: Worker = {
      holder,
      child,
      open: undefined,
      killedByUs: false,
      exit: undefined,
      stderrTail: [],
      pauses: [],
      exited: new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          worker.exit = { code, signal };
          resolve();
        }),
      ),
    };
    child.stdin.on('error', () => undefined);
    child.stdin.write(
      JSON.stringify({ epoch: this.#epoch, ...(this.#stopped ? { stop: true } : {}) }) + '\n',
    );
    createInterface({ input: child.stdout }).on('line', (line) => this.#receive(worker, line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (/MetadataLookupWarning|trace-warnings/.test(line)) return;
      worker.stderrTail.push(line);
      if (worker.stderrTail.length > 20) worker.stderrTail.shift();
    });
    this.#workers.set(holder, worker);
    this.log.spawned += 1;
    return holder;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** A new fence epoch: the lock service restarted and its version counter with it. */
  nextEpoch(): void {
    this.#epoch += 1;
    for (const worker of this.#live())
      worker.child.stdin!.write(JSON.stringify({ epoch: this.#epoch }) + '\n');
  }

  /** Tells every worker to finish its current section and exit. */
  stop(): void {
    this.#stopped = true;
    for (const worker of this.#live())
      worker.child.stdin!.write(JSON.stringify({ stop: true }) + '\n');
  }

  /** Whether a critical section began after `at` (shared clock). */
  beganAfter(at: number): boolean {
    return (
      this.log.sections.some((s) => s.begin > at) ||
      this.#live().some((w) => w.open && w.open.at > at)
    );
  }

  /** Resolves the holder of the next critical section that begins (within `timeoutMs`). */
  nextHolder(timeoutMs: number): Promise<string | undefined> {
    const inside = this.#live().find((worker) => worker.open);
    if (inside) return Promise.resolve(inside.holder);
    return new Promise((resolve) => {
      const listener = (holder: string) => {
        clearTimeout(timer);
        this.#onBegin.delete(listener);
        resolve(holder);
      };
      const timer = setTimeout(() => {
        this.#onBegin.delete(listener);
        resolve(undefined);
      }, timeoutMs);
      this.#onBegin.add(listener);
    });
  }

  /** SIGKILLs a worker; the section it was in ends at the kill. */
  kill(holder: string): boolean {
    const worker = this.#workers.get(holder);
    if (!worker || worker.exit) return false;
    worker.killedByUs = true;
    worker.child.kill('SIGKILL');
    const at = sharedNowMs();
    this.log.kills += 1;
    if (worker.open) {
      this.log.sections.push({
        holder,
        token: worker.open.token,
        begin: worker.open.at,
        end: at,
        killed: true,
        paused: false,
        lostAt: null,
        write: { outcome: 'skipped' },
        epoch: worker.open.epoch,
      });
      worker.open = undefined;
    }
    return true;
  }

  /** SIGSTOPs a worker for `ms`, then SIGCONTs it. */
  async pause(holder: string, ms: number): Promise<boolean> {
    const worker = this.#workers.get(holder);
    if (!worker || worker.exit) return false;
    const from = sharedNowMs();
    worker.child.kill('SIGSTOP');
    this.log.pauses += 1;
    await new Promise((resolve) => setTimeout(resolve, ms));
    worker.child.kill('SIGCONT');
    worker.pauses.push({ from, to: sharedNowMs() });
    return true;
  }

  /** Waits for every worker to finish; any still running after `graceMs` is a hang. */
  async finish(graceMs: number): Promise<void> {
    const all = [...this.#workers.values()];
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), graceMs).unref(),
    );
    await Promise.race([Promise.all(all.map((w) => w.exited)), timeout]);
    for (const worker of all) {
      if (!worker.exit) {
        this.log.problems.push({
          rule: 'no hang',
          detail: `${worker.holder} did not finish within ${graceMs} ms of the end of the run`,
        });
        worker.child.kill('SIGKILL');
        await worker.exited;
      } else if (!worker.killedByUs && worker.exit.code !== 0) {
        this.log.problems.push({
          rule: 'clean exit',
          detail:
            `${worker.holder} exited with code ${worker.exit.code} signal ${worker.exit.signal}: ` +
            worker.stderrTail.slice(-14).join(' | '),
        });
      }
    }
  }

  /** Kills whatever is left (on an error path). */
  killAll(): void {
    for (const worker of this.#live()) worker.child.kill('SIGKILL');
  }

  #live(): Worker[] {
    return [...this.#workers.values()].filter((worker) => !worker.exit && !worker.killedByUs);
  }

  #receive(worker: Worker, line: string): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      worker.stderrTail.push(`stdout: ${line}`);
      return;
    }
    if (process.env.TORTURE_DEBUG) console.log(`   [${worker.holder}] ${line}`);
    if (worker.killedByUs) return; // lines flushed after the kill describe nothing new
    switch (message.type) {
      case 'begin':
        worker.open = { ...message, epoch: this.#epoch };
        for (const listener of [...this.#onBegin]) listener(worker.holder);
        break;
      case 'end': {
        const epoch = worker.open?.epoch ?? this.#epoch;
        worker.open = undefined;
        const paused = worker.pauses.some(
          (p) =>
            p.to > message.begin && p.from < message.end && p.to - p.from > this.#config.leaseMs,
        );
        this.log.sections.push({
          holder: worker.holder,
          token: message.token,
          begin: message.begin,
          end: message.end,
          killed: false,
          // Recorded right after SIGCONT, so always before the resumed worker's next line.
          paused,
          lostAt: message.lostAt,
          write: message.write,
          epoch,
        });
        break;
      }
      case 'ready':
        this.log.originOffsetsMs.push(message.originOffsetMs);
        break;
      case 'error':
        this.log.errors.push(message);
        break;
      case 'hang':
        this.log.problems.push({
          rule: 'no hang',
          detail: `${worker.holder}: ${message.op} did not settle`,
        });
        break;
      case 'unhandled':
        this.log.problems.push({
          rule: 'no unhandled rejection',
          detail: `${worker.holder}: ${message.message}`,
        });
        break;
      default:
        break;
    }
  }
}
