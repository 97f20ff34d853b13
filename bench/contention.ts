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

/** A change to our defaults, measured as an experiment next to them. */
export interface ContentionVariant {
  /** Shown after the contender's name. */
  readonly label: string;
  readonly backoff?: BackoffOptions;
  readonly lockingPerContender?: boolean;
}

export interface ContentionRun {
  readonly name: string;
  readonly service: string;
  readonly variant?: ContentionVariant;
  /** Sum of the windows of every round. */
  readonly windowMs: number;
  readonly rounds: number;
  readonly acquisitions: number;
  readonly acquisitionsPerSecond: number;
  /** Release of one holder (its release call resolved) to the next holder's acquire resolving. */
  readonly handoffGapMs: Summary;
  /** The same, only for handoffs between processes (the next holder had to poll the backend). */
  readonly crossProcessGapMs: Summary;
  /** From asking for the lock to holding it: long tails mean some contenders starve. */
  readonly waitMs: Summary & { readonly max: number };
  readonly requestsPerAcquisition: number;
  readonly requestsPerSecond: number;
  readonly requestsByMethod: Record<string, number>;
  /** Acquisitions per process: how evenly the lock went round. */
  readonly perProcess: number[];
  /** datastore-lock's acquire/release calls that threw, in all processes. */
  readonly failures: number;
  /** Holdings that began before the previous holder had started its release: must be 0. */
  readonly overlaps: number;
}

/** What one round measured, before rounds are combined. */
export interface ContentionRound {
  readonly windowMs: number;
  readonly acquisitions: number;
  readonly gaps: number[];
  readonly crossGaps: number[];
  readonly waits: number[];
  readonly requests: number;
  readonly requestsByMethod: Record<string, number>;
  readonly perProcess: number[];
  readonly failures: number;
  readonly overlaps: number;
}

/**
 * N processes with M contenders each fight over one identifier for a fixed window, all started at
 * one instant of the machine's shared clock; each holder keeps the lock for `holdMs`, then works
 * `thinkMs` outside it before asking again.
 */
export async function runContentionRound(
  name: ContendedName,
  address: string,
  identifier: string,
  setup: ContentionSetup,
  variant?: ContentionVariant,
): Promise<ContentionRound> {
  const workers = Array.from({ length: setup.processes }, (_, processIndex) =>
    startWorker<ContentionWorkerResult>('./contention-worker.ts', {
      contender: name,
      address,
      identifier,
      processIndex,
      contenders: setup.contendersPerProcess,
      holdMs: setup.holdMs,
      thinkMs: setup.thinkMs,
      ...(variant?.backoff ? { backoff: variant.backoff } : {}),
      ...(variant?.lockingPerContender ? { lockingPerContender: true } : {}),
    } satisfies ContentionJob),
  );
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const go: ContentionGo = { startAt: sharedNowMs() + 300, durationMs: setup.windowMs };
    for (const worker of workers) worker.send(go);
    const results = await Promise.all(workers.map((worker) => worker.result));
    return roundOf(setup.processes, go, results);
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill();
  }
}

function roundOf(
  processes: number,
  go: ContentionGo,
  results: ContentionWorkerResult[],
): ContentionRound {
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
  return {
    windowMs: go.durationMs,
    acquisitions: holdings.length,
    gaps,
    crossGaps,
    waits: holdings.map((holding) => holding.acquiredAt - holding.askedAt),
    requests: results.reduce((total, result) => total + result.requests, 0),
    requestsByMethod: addCounts(results.map((result) => result.requestsByMethod)),
    perProcess: Array.from(
      { length: processes },
      (_, index) => holdings.filter((holding: Holding) => holding.processIndex === index).length,
    ),
    failures: results.reduce((total, result) => total + result.failures, 0),
    overlaps,
  };
}

/** Rounds of one contender, interleaved with the others' rounds, combined into one row. */
export function combineRounds(
  name: string,
  service: string,
  rounds: readonly ContentionRound[],
  variant?: ContentionVariant,
): ContentionRun {
  const windowMs = rounds.reduce((total, round) => total + round.windowMs, 0);
  const acquisitions = rounds.reduce((total, round) => total + round.acquisitions, 0);
  const requests = rounds.reduce((total, round) => total + round.requests, 0);
  const waits = rounds.flatMap((round) => round.waits);
  return {
    name,
    service,
    ...(variant ? { variant } : {}),
    windowMs,
    rounds: rounds.length,
    acquisitions,
    acquisitionsPerSecond: acquisitions / (windowMs / 1000),
    handoffGapMs: summarize(rounds.flatMap((round) => round.gaps)),
    crossProcessGapMs: summarize(rounds.flatMap((round) => round.crossGaps)),
    waitMs: { ...summarize(waits), max: waits.length ? Math.max(...waits) : NaN },
    requestsPerAcquisition: acquisitions ? requests / acquisitions : NaN,
    requestsPerSecond: requests / (windowMs / 1000),
    requestsByMethod: addCounts(rounds.map((round) => round.requestsByMethod)),
    perProcess: rounds[0]!.perProcess.map((_, index) =>
      rounds.reduce((total, round) => total + (round.perProcess[index] ?? 0), 0),
    ),
    failures: rounds.reduce((total, round) => total + round.failures, 0),
    overlaps: rounds.reduce((total, round) => total + round.overlaps, 0),
  };
}

function addCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const count of counts) {
    for (const [method, value] of Object.entries(count)) sum[method] = (sum[method] ?? 0) + value;
  }
  return sum;
}
