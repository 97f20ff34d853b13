import { setTimeout as sleep } from 'node:timers/promises';
import { createLocking, type Lock, type Locking } from '../src/index.js';
import { serveJob } from './child.js';
import { countedDatastore } from './clients.js';
import { BENCH_KIND } from './contenders.js';
import { RequestCounter } from './request-counter.js';

export type ScaleJob =
  | {
      readonly mode: 'renewals';
      readonly host: string;
      readonly identifiers: number;
      readonly leaseMs: number;
      readonly holdMs: number;
      readonly runId: string;
    }
  | {
      readonly mode: 'heap';
      /** Emulator host, or undefined for the memory backend. */
      readonly host: string | undefined;
      readonly held: number;
      readonly runId: string;
    }
  | { readonly mode: 'overhead'; readonly durationMs: number };

export interface RenewalsResult {
  readonly acquireAllMs: number;
  readonly renewed: number;
  readonly renewalFailures: number;
  readonly lost: number;
  readonly releaseAllMs: number;
  readonly requests: number;
}

export interface HeapResult {
  readonly bytesPerLock: number;
  readonly held: number;
}

export interface OverheadResult {
  readonly cycles: number;
  readonly microsPerCycle: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function lockingFor(host: string | undefined, counter: RequestCounter): Locking {
  return host === undefined
    ? createLocking({ backend: 'memory' })
    : createLocking({ datastore: countedDatastore(host, counter), kindName: BENCH_KIND });
}

/** Many identifiers at once through one instance, with a short lease so renewals really run. */
async function renewals(job: Extract<ScaleJob, { mode: 'renewals' }>): Promise<RenewalsResult> {
  process.env.DATASTORE_EMULATOR_HOST = job.host;
  const counter = new RequestCounter();
  const locking = lockingFor(job.host, counter);
  let renewed = 0;
  let renewalFailures = 0;
  let lost = 0;
  locking.on('renewed', () => (renewed += 1));
  locking.on('renewalFailed', () => (renewalFailures += 1));
  locking.on('lost', () => (lost += 1));
  await (await locking.acquireOrThrow(`${job.runId}:scale:warm`)).release();
  const ids = Array.from({ length: job.identifiers }, (_, i) => `${job.runId}:scale:${i}`);
  const startedAt = performance.now();
  const held = await Promise.all(
    ids.map((id) => locking.acquireOrThrow(id, { leaseMs: job.leaseMs })),
  );
  const acquireAllMs = performance.now() - startedAt;
  await sleep(job.holdMs);
  const releaseStart = performance.now();
  await Promise.all(held.map((lock) => lock.release().catch(() => false)));
  return {
    acquireAllMs,
    renewed,
    renewalFailures,
    lost,
    releaseAllMs: performance.now() - releaseStart,
    requests: counter.total,
  };
}

/** Heap growth per held lock, after full collections, with the client's one-off costs paid first. */
async function heap(job: Extract<ScaleJob, { mode: 'heap' }>): Promise<HeapResult> {
  if (job.host) process.env.DATASTORE_EMULATOR_HOST = job.host;
  const locking = lockingFor(job.host, new RequestCounter());
  const warm = await Promise.all(
    Array.from({ length: 50 }, (_, i) => locking.acquireOrThrow(`${job.runId}:heap:warm:${i}`)),
  );
  await Promise.all(warm.map((lock) => lock.release()));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const held: Lock[] = [];
  // Small batches: on this 2-core machine, batches of 200 concurrent commits to the Firestore
  // emulator outlasted the 10 s RPC deadline after a few thousand locks.
  const batch = 50;
  for (let i = 0; i < job.held; i += batch) {
    const count = Math.min(batch, job.held - i);
    held.push(
      ...(await Promise.all(
        Array.from({ length: count }, (_, j) =>
          locking.acquireOrThrow(`${job.runId}:heap:${i + j}`),
        ),
      )),
    );
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const result = { bytesPerLock: (after - before) / held.length, held: held.length };
  for (let i = 0; i < held.length; i += batch) {
    await Promise.all(held.slice(i, i + batch).map((lock) => lock.release()));
  }
  return result;
}

/** The library's own CPU per acquire + release: the memory backend does no I/O. */
async function overhead(job: Extract<ScaleJob, { mode: 'overhead' }>): Promise<OverheadResult> {
  const locking = createLocking({ backend: 'memory' });
  const cycle = async (): Promise<void> => {
    await (await locking.acquireOrThrow('overhead')).release();
  };
  for (let i = 0; i < 2000; i += 1) await cycle();
  let cycles = 0;
  const startedAt = performance.now();
  while (performance.now() - startedAt < job.durationMs) {
    for (let i = 0; i < 100; i += 1) await cycle();
    cycles += 100;
  }
  return { cycles, microsPerCycle: ((performance.now() - startedAt) * 1000) / cycles };
}

export type ScaleOutcome = RenewalsResult | HeapResult | OverheadResult;

/** Runs the jobs one after the other in this process (a quick run saves process start-ups). */
serveJob<ScaleJob[], ScaleOutcome[]>(async (jobs) => {
  const results: ScaleOutcome[] = [];
  for (const job of jobs) {
    results.push(
      await (job.mode === 'renewals'
        ? renewals(job)
        : job.mode === 'heap'
          ? heap(job)
          : overhead(job)),
    );
  }
  return results;
});
