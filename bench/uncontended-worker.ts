import { serveJob } from './child.js';
import { strongContenders, weakContenders, type Contender } from './contenders.js';
import { RequestCounter } from './request-counter.js';

export interface UncontendedJob {
  readonly backend: 'datastore' | 'memcache';
  /** DATASTORE_EMULATOR_HOST, or MEMCACHE_SERVERS. */
  readonly address: string;
  readonly iterations: number;
  /**
   * Unrecorded round-robin cycles first, for this long: a freshly started emulator is a cold JVM
   * (its first few hundred commits run several times slower).
   */
  readonly warmupMs: number;
  readonly runId: string;
}

export interface ContenderSamples {
  readonly name: string;
  readonly cycleMs: number[];
  /** Backend requests per cycle, by method, averaged over the measured cycles. */
  readonly requestsByMethod: Record<string, number>;
  readonly requestsPerCycle: number;
}

/**
 * Round-robin: every iteration runs one cycle of each contender, in an order rotated per
 * iteration, so machine noise (other agents, GC, the emulator's JIT) falls on all of them alike.
 * Cycles run one at a time, so the requests counted during a cycle are that cycle's.
 */
async function measure(job: UncontendedJob): Promise<ContenderSamples[]> {
  const counter = new RequestCounter();
  const contenders: Contender[] =
    job.backend === 'datastore'
      ? strongContenders(job.address, counter)
      : weakContenders(job.address, counter);
  const samples = contenders.map(() => ({
    cycleMs: [] as number[],
    requests: new Map<string, number>(),
  }));
  const warmupEnd = performance.now() + job.warmupMs;
  while (performance.now() < warmupEnd) {
    for (const contender of contenders)
      await contender.cycle(`${job.runId}:warmup:${contender.name}`);
  }
  for (let iteration = 0; iteration < job.iterations; iteration += 1) {
    for (let turn = 0; turn < contenders.length; turn += 1) {
      const index = (iteration + turn) % contenders.length;
      const contender = contenders[index]!;
      const before = counter.byMethod();
      const startedAt = performance.now();
      await contender.cycle(`${job.runId}:uncontended:${contender.name}`);
      const elapsedMs = performance.now() - startedAt;
      const sample = samples[index]!;
      sample.cycleMs.push(elapsedMs);
      for (const [method, count] of Object.entries(counter.byMethod())) {
        const delta = count - (before[method] ?? 0);
        if (delta) sample.requests.set(method, (sample.requests.get(method) ?? 0) + delta);
      }
    }
  }
  return contenders.map((contender, index) => {
    const { cycleMs, requests } = samples[index]!;
    const perCycle = Object.fromEntries(
      [...requests].map(([method, count]) => [method, count / job.iterations]),
    );
    return {
      name: contender.name,
      cycleMs,
      requestsByMethod: perCycle,
      requestsPerCycle: Object.values(perCycle).reduce((a, b) => a + b, 0),
    };
  });
}

serveJob<UncontendedJob, ContenderSamples[]>((job) => measure(job));
