import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type {
  ParentMessage,
  RoundMode,
  WorkerConfig,
  WorkerMessage,
  WorkerStats,
} from './protocol.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url));
// Resolved here, not by the child, so the demo also runs from another working directory.
const TSX = import.meta.resolve('tsx');

type Progress = Extract<WorkerMessage, { type: 'progress' }>;

const live = new Set<ChildProcess>();
// However the demo ends (an error, SIGINT/SIGTERM through the services' exit hooks), no worker
// outlives it. A SIGKILLed parent is covered by the workers themselves: they exit on disconnect.
process.once('exit', () => live.forEach((child) => child.kill('SIGKILL')));

/** One worker process, alive for every round. */
export class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #index: number;
  readonly #exited: Promise<void>;
  readonly ready: Promise<void>;
  #stderr = '';
  #failed: Error | undefined;
  #pending: { resolve: (stats: WorkerStats) => void; reject: (error: Error) => void } | undefined;
  onProgress: (progress: Progress) => void = () => undefined;

  constructor(config: WorkerConfig) {
    this.#index = config.workerIndex;
    this.#child = fork(WORKER_SCRIPT, [JSON.stringify(config)], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    });
    live.add(this.#child);
    this.#child.once('exit', () => live.delete(this.#child));
    this.#child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    // 'close' (not 'exit') comes after the IPC channel has delivered the last message.
    this.#exited = new Promise((resolve) => this.#child.once('close', () => resolve()));
    this.ready = new Promise<void>((resolve, reject) => {
      this.#child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'progress') this.onProgress(message);
        else this.#pending?.resolve(message.stats);
      });
      void this.#exited.then(() => {
        const failure = this.#failure();
        reject(failure);
        this.#pending?.reject(failure);
      });
    });
    // Awaited later; this only keeps an early exit from counting as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Serves one round; resolves with the worker's counters for it. */
  runRound(mode: RoundMode): Promise<WorkerStats> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      return Promise.reject(this.#failure());
    }
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#send({ type: 'round', mode });
    });
  }

  /** Asks the worker to close its clients and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#child.connected) this.#send({ type: 'stop' });
    if ((await Promise.race([this.#exited, delay(graceMs, 'late')])) === 'late') this.kill();
    await this.#exited;
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  #send(message: ParentMessage): void {
    this.#child.send(message);
  }

  #failure(): Error {
    this.#failed ??= this.#describeExit();
    return this.#failed;
  }

  #describeExit(): Error {
    const how = this.#child.exitCode ?? this.#child.signalCode;
    if (!this.#stderr.trim()) return new Error(`worker ${this.#index} exited (${how})`);
    // The whole stderr goes to a file; the message keeps its head, where the error is named.
    const logFile = join(tmpdir(), `gcp-locking-demo-worker-${this.#index}-${this.#child.pid}.log`);
    writeFileSync(logFile, this.#stderr);
    const head = this.#stderr.trim().split('\n').slice(0, 12).join('\n');
    return new Error(`worker ${this.#index} exited (${how}); its stderr (${logFile}):\n${head}`);
  }
}
