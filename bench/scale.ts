import { startWorker } from './child.js';
import type {
  HeapResult,
  OverheadResult,
  RenewalsResult,
  ScaleJob,
  ScaleOutcome,
} from './scale-worker.js';

export interface ScaleSizes {
  readonly identifiers: number;
  readonly leaseMs: number;
  readonly holdMs: number;
  readonly heapHeld: number;
  readonly heapHeldEmulator: number;
  readonly overheadMs: number;
}

export interface HeapRow {
  readonly backend: string;
  readonly held: number;
  readonly bytesPerLock: number;
  /** Set when the measurement failed (say, the emulator timed out): the rest still runs. */
  readonly error?: string;
}

export interface ScaleResult extends Omit<
  ScaleSizes,
  'heapHeld' | 'heapHeldEmulator' | 'overheadMs'
> {
  readonly service: string;
  readonly acquisitionsPerSecond: number;
  readonly renewed: number;
  readonly renewalsPerSecond: number;
  readonly renewalFailures: number;
  readonly lost: number;
  readonly releasesPerSecond: number;
  readonly requests: number;
  readonly heap: HeapRow[];
  readonly overhead: OverheadResult;
}

function run(jobs: ScaleJob[]): Promise<ScaleOutcome[]> {
  return startWorker<ScaleOutcome[]>('./scale-worker.ts', jobs, { exposeGc: true }).result;
}

async function heapRow(backend: string, job: ScaleJob & { mode: 'heap' }): Promise<HeapRow> {
  try {
    const [result] = (await run([job])) as HeapResult[];
    return { backend, ...result! };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The first line, cut: the worker's message carries the whole remote stack.
    const reason = message.replace(/^bench worker \S+ failed: /, '').split('\n')[0]!;
    return { backend, held: job.held, bytesPerLock: NaN, error: reason.slice(0, 160) };
  }
}

/**
 * Section 4: many identifiers held and renewed at once; heap per held lock; library CPU per cycle.
 * Each measurement runs in a fresh process, except in `shareProcess` mode (--quick).
 */
export async function runScale(
  service: string,
  host: string,
  sizes: ScaleSizes,
  runId: string,
  shareProcess = false,
): Promise<ScaleResult> {
  const renewalsJob: ScaleJob = {
    mode: 'renewals',
    host,
    identifiers: sizes.identifiers,
    leaseMs: sizes.leaseMs,
    holdMs: sizes.holdMs,
    runId,
  };
  const memoryHeapJob = { mode: 'heap', host: undefined, held: sizes.heapHeld, runId } as const;
  const overheadJob: ScaleJob = { mode: 'overhead', durationMs: sizes.overheadMs };
  let renewals: RenewalsResult;
  let overhead: OverheadResult;
  const heap: HeapRow[] = [];
  if (shareProcess) {
    const [r, h, o] = await run([renewalsJob, memoryHeapJob, overheadJob]);
    renewals = r as RenewalsResult;
    heap.push({ backend: 'memory', ...(h as HeapResult) });
    overhead = o as OverheadResult;
  } else {
    renewals = (await run([renewalsJob]))[0] as RenewalsResult;
    heap.push(await heapRow('memory', memoryHeapJob));
    if (sizes.heapHeldEmulator > 0) {
      heap.push(
        await heapRow(service, { mode: 'heap', host, held: sizes.heapHeldEmulator, runId }),
      );
    }
    overhead = (await run([overheadJob]))[0] as OverheadResult;
  }
  return {
    service,
    identifiers: sizes.identifiers,
    leaseMs: sizes.leaseMs,
    holdMs: sizes.holdMs,
    acquisitionsPerSecond: sizes.identifiers / (renewals.acquireAllMs / 1000),
    renewed: renewals.renewed,
    renewalsPerSecond: renewals.renewed / (sizes.holdMs / 1000),
    renewalFailures: renewals.renewalFailures,
    lost: renewals.lost,
    releasesPerSecond: sizes.identifiers / (renewals.releaseAllMs / 1000),
    requests: renewals.requests,
    heap,
    overhead,
  };
}
