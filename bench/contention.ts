import type { BackoffOptions } from '../src/index.js';
import { startWorker } from './child.js';
import type {
  ContendedName,
  ContentionGo,
  ContentionJob,
  ContentionWorkerResult,
  Holding,
} from './contention-worker.js';
import { sharedNowMs, summarize, type Summary } from './stats.js';

export interface ContentionSetup {
  readonly processes: number;
  readonly contendersPerProcess: number;
  readonly holdMs: number;
  readonly thinkMs: number;
  readonly windowMs: number;
}

export interface ContentionRun {
  readonly name: string;
  readonly service: string;
  readonly backoff?: BackoffOptions;
  readonly windowMs: number;
  readonly acquisitions: number;
  readonly acquisitionsPerSecond: number;
  /** Release of one holder (its release call resolved) to the next holder's acquire resolving. */
  readonly handoffGapMs: Summary;
  /** The same, only for handoffs between processes (the next holder had to poll the backend). */
  readonly crossProcessGapMs: Summary;
  /** From asking for the lock to holding it: long tails mean some contenders starve. */
  readonly waitMs: Summary & { readonly max: number };
  readonly requestsPerAcquisition: number;
  readonly requestsByMethod: Record<string, number>;
  /** Acquisitions per process: how evenly the lock went round. */
  readonly perProcess: number[];
  /** datastore-lock's acquire/release calls that threw, in all processes. */
  readonly failures: number;
  /** Holdings that began before the previous holder had started its release: must be 0. */
  readonly overlaps: number;
}

/**
 * N processes with M contenders each fight over one identifier for a fixed window, all started at
 * one instant of the machine's shared clock; each holder keeps the lock for `holdMs`.
 */
export async function runContention(
  name: ContendedName,
  service: string,
  address: string,
  identifier: string,
  setup: ContentionSetup,
  backoff?: BackoffOptions,
): Promise<ContentionRun> {
  const workers = Array.from({ length: setup.processes }, (_, processIndex) =>
    startWorker<ContentionWorkerResult>('./contention-worker.ts', {
      contender: name,
      address,
      identifier,
      processIndex,
      contenders: setup.contendersPerProcess,
      holdMs: setup.holdMs,
      thinkMs: setup.thinkMs,
      ...(backoff ? { backoff } : {}),
    } satisfies ContentionJob),
  );
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const go: ContentionGo = { startAt: sharedNowMs() + 300, durationMs: setup.windowMs };
    for (const worker of workers) worker.send(go);
    const results = await Promise.all(workers.map((worker) => worker.result));
    return summarizeRun(name, service, setup, go, results, backoff);
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill();
  }
}

function summarizeRun(
  name: string,
  service: string,
  setup: ContentionSetup,
  go: ContentionGo,
  results: ContentionWorkerResult[],
  backoff: BackoffOptions | undefined,
): ContentionRun {
  const stopAt = go.startAt + go.durationMs;
  const holdings = results
    .flatMap((result) => result.holdings)
    .filter((holding) => holding.acquiredAt >= go.startAt && holding.acquiredAt < stopAt)
    .sort((a, b) => a.acquiredAt - b.acquiredAt);
  const gaps: number[] = [];
  const crossGaps: number[] = [];
  let overlaps = 0;
  for (let i = 1; i < holdings.length; i += 1) {
    const previous = holdings[i - 1]!;
    const next = holdings[i]!;
    if (next.acquiredAt < previous.releaseStartAt) overlaps += 1;
    if (Number.isNaN(previous.releasedAt)) continue;
    const gap = next.acquiredAt - previous.releasedAt;
    gaps.push(gap);
    if (next.processIndex !== previous.processIndex) crossGaps.push(gap);
  }
  const requestsByMethod: Record<string, number> = {};
  for (const result of results) {
    for (const [method, count] of Object.entries(result.requestsByMethod)) {
      requestsByMethod[method] = (requestsByMethod[method] ?? 0) + count;
    }
  }
  const requests = results.reduce((total, result) => total + result.requests, 0);
  const perProcess = Array.from(
    { length: setup.processes },
    (_, index) => holdings.filter((holding: Holding) => holding.processIndex === index).length,
  );
  return {
    name,
    service,
    ...(backoff ? { backoff } : {}),
    windowMs: go.durationMs,
    acquisitions: holdings.length,
    acquisitionsPerSecond: holdings.length / (go.durationMs / 1000),
    handoffGapMs: summarize(gaps),
    crossProcessGapMs: summarize(crossGaps),
    waitMs: {
      ...summarize(holdings.map((holding) => holding.acquiredAt - holding.askedAt)),
      max: Math.max(...holdings.map((holding) => holding.acquiredAt - holding.askedAt)),
    },
    requestsPerAcquisition: holdings.length ? requests / holdings.length : NaN,
    requestsByMethod,
    perProcess,
    failures: results.reduce((total, result) => total + result.failures, 0),
    overlaps,
  };
}
