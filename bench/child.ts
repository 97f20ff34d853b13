import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Messages a bench worker sends its parent. */
export type WorkerMessage<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: R }
  | { readonly type: 'error'; readonly message: string };

/** A worker process running one of bench/*-worker.ts through tsx. */
export interface Worker<R> {
  readonly child: ChildProcess;
  /** Resolves when the worker has set up and says it is ready. */
  readonly ready: Promise<void>;
  /** Resolves the worker's result; rejects if it fails or dies without one. */
  readonly result: Promise<R>;
  send(message: object): void;
}

export function startWorker<R>(
  file: string,
  job: object,
  { env = process.env, exposeGc = false }: { env?: NodeJS.ProcessEnv; exposeGc?: boolean } = {},
): Worker<R> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    // google-auth-library probes the GCE metadata server once even for an emulator: not our news.
    execArgv: [
      ...(exposeGc ? ['--expose-gc'] : []),
      '--disable-warning=MetadataLookupWarning',
      '--import',
      'tsx',
    ],
    env,
    // datastore-lock's logger writes to stdout: keep children's stdout out of the report.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<R>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: WorkerMessage<R>) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new Error(`bench worker ${file} failed: ${message.message}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`bench worker ${file} exited (${signal ?? code}) without a result`));
    });
  });
  // A worker that dies before it is ready must not leave the parent waiting on `ready`.
  result.then(markReady, markReady);
  child.send(job);
  return { child, ready, result, send: (message) => child.send(message) };
}

/** The worker side: runs `work` on the parent's first message and sends its result back. */
export function serveJob<J, R>(
  work: (job: J, tell: (message: WorkerMessage<R>) => void) => Promise<R>,
): void {
  const tell = (message: WorkerMessage<R>): void => {
    process.send?.(message);
  };
  // The parent is gone (it crashed or was interrupted): nobody will read a result.
  process.once('disconnect', () => process.exit(1));
  process.once('message', (job: J) => {
    work(job, tell).then(
      (result) =>
        process.send?.({ type: 'result', result } satisfies WorkerMessage<R>, () =>
          process.exit(0),
        ),
      (error: unknown) =>
        process.send?.(
          {
            type: 'error',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies WorkerMessage<R>,
          () => process.exit(1),
        ),
    );
  });
}

/** Resolves the next message from the parent (after the job). */
export function nextMessage<M>(): Promise<M> {
  return new Promise((resolve) => process.once('message', (message: M) => resolve(message)));
}
