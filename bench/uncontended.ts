import { startWorker } from './child.js';
import { summarize, type Summary } from './stats.js';
import type { ContenderSamples, UncontendedJob } from './uncontended-worker.js';

export interface UncontendedRow {
  readonly name: string;
  readonly cycle: Summary;
  /** Median cycle over the floor's median cycle (1.00 = at the floor). */
  readonly ratioToFloor: number;
  readonly requestsPerCycle: number;
  readonly requestsByMethod: Record<string, number>;
}

export interface UncontendedResult {
  readonly service: string;
  readonly iterations: number;
  readonly rows: UncontendedRow[];
}

/** Runs the uncontended cycle comparison in a worker (datastore-lock needs one emulator per process). */
export async function runUncontended(
  service: string,
  job: UncontendedJob,
): Promise<UncontendedResult> {
  const samples = await startWorker<ContenderSamples[]>('./uncontended-worker.ts', job).result;
  const floor = summarize(samples[0]!.cycleMs);
  return {
    service,
    iterations: job.iterations,
    rows: samples.map((sample) => {
      const cycle = summarize(sample.cycleMs);
      return {
        name: sample.name,
        cycle,
        ratioToFloor: cycle.median / floor.median,
        requestsPerCycle: sample.requestsPerCycle,
        requestsByMethod: sample.requestsByMethod,
      };
    }),
  };
}
