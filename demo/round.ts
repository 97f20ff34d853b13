import { performance } from 'node:perf_hooks';
import type { FakeOAuthProvider } from './provider.js';
import { emptyStats, type RoundMode, type WorkerStats } from './protocol.js';
import { userIds, type UserStore } from './users.js';
import type { WorkerProcess } from './workers.js';

/** One round's figures: what the JSON output and the table show. `null`: not measured (n/a, or the round failed). */
export interface RoundResult {
  readonly mode: RoundMode;
  readonly requests: number | null;
  /** Users whose expired token was asked for: one refresh each is the work really needed. */
  readonly expiredTokens: number | null;
  /** Token refresh calls the provider answered. */
  readonly providerCalls: number | null;
  /** Refreshes beyond one per expired token (every user's token is expired once per round). */
  readonly extraRefreshes: number | null;
  /** Requests whose token the provider no longer accepted when they used it. */
  readonly invalidTokensServed: number | null;
  /** Acquisitions that found the lock held by another process (`contended` events). */
  readonly lockWaits: number | null;
  readonly meanWaitMs: number | null;
  readonly maxWaitMs: number | null;
  /** Live locks taken over (`stolen` events): none expected, nothing sets `stealAfterMs`. */
  readonly steals: number | null;
  /** STRONG: each user's fencing tokens, in the order the critical sections logged them, only grew. */
  readonly fencingTokensOnlyGrew: boolean | null;
  readonly failedRequests: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface RoundSettings {
  readonly mode: RoundMode;
  readonly users: number;
  /** Requests per worker. */
  readonly requests: number;
}

export interface RoundProgress {
  readonly done: number;
  readonly total: number;
  readonly providerCalls: number;
  readonly lockWaits: number;
}

/** Generous: a default round takes seconds; this only stops a wedged one. */
const ROUND_DEADLINE_MS = 120_000;

/**
 * One round: every user's token is expired, then every worker fires all its requests at once.
 * A worker that fails or a round past its deadline makes a failed round, not a crash.
 */
export async function runRound(
  settings: RoundSettings,
  {
    workers,
    provider,
    store,
    onProgress,
  }: {
    workers: readonly WorkerProcess[];
    provider: FakeOAuthProvider;
    store: UserStore;
    onProgress: (progress: RoundProgress) => void;
  },
): Promise<RoundResult> {
  const ids = userIds(settings.users);
  provider.reset();
  await store.seed(ids);
  const done = new Array<number>(workers.length).fill(0);
  const waits = new Array<number>(workers.length).fill(0);
  const total = workers.length * settings.requests;
  workers.forEach((worker, index) => {
    worker.onProgress = (progress) => {
      done[index] = progress.done;
      waits[index] = progress.contended;
      onProgress({
        done: sum(done),
        total,
        providerCalls: provider.stats().refreshCalls,
        lockWaits: sum(waits),
      });
    };
  });
  const startedAt = performance.now();
  const deadline = setTimeout(() => workers.forEach((worker) => worker.kill()), ROUND_DEADLINE_MS);
  try {
    const stats = await Promise.all(workers.map((worker) => worker.runRound(settings.mode)));
    const durationMs = performance.now() - startedAt;
    const fencing = settings.mode === 'strong' ? await fencingOnlyGrew(store, ids, stats) : null;
    return summarize(settings.mode, combine(stats), provider, fencing, durationMs);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failedRound(settings.mode, message, performance.now() - startedAt);
  } finally {
    clearTimeout(deadline);
  }
}

function summarize(
  mode: RoundMode,
  stats: WorkerStats,
  provider: FakeOAuthProvider,
  fencingTokensOnlyGrew: boolean | null,
  durationMs: number,
): RoundResult {
  const { refreshCalls, usersRefreshed } = provider.stats();
  const locked = mode !== 'none';
  return {
    mode,
    requests: stats.requests,
    expiredTokens: usersRefreshed,
    providerCalls: refreshCalls,
    extraRefreshes: refreshCalls - usersRefreshed,
    invalidTokensServed: stats.invalidTokensServed,
    lockWaits: locked ? stats.contended : null,
    meanWaitMs: locked && stats.acquired > 0 ? round(stats.totalWaitedMs / stats.acquired) : null,
    maxWaitMs: locked && stats.acquired > 0 ? round(stats.maxWaitedMs) : null,
    steals: locked ? stats.stolen : null,
    fencingTokensOnlyGrew,
    failedRequests: stats.failed,
    durationMs: round(durationMs),
    ...(stats.failed > 0
      ? { error: `${stats.failed} of ${stats.requests} requests failed: ${stats.firstError}` }
      : {}),
  };
}

/**
 * Each critical section appended its fencing token to its user's log (inside the lock). The
 * tokens only grew if every log is strictly increasing and holds one entry per critical section.
 */
async function fencingOnlyGrew(
  store: UserStore,
  ids: readonly string[],
  stats: readonly WorkerStats[],
): Promise<boolean> {
  const logs = await store.fencingLogs(ids);
  return ids.every((id) => {
    const log = logs.get(id) ?? [];
    const sections = sum(stats.map((worker) => worker.criticalSections[id] ?? 0));
    return log.length === sections && log.every((token, i) => i === 0 || token > log[i - 1]!);
  });
}

function combine(all: readonly WorkerStats[]): WorkerStats {
  const total = emptyStats();
  for (const stats of all) {
    total.requests += stats.requests;
    total.failed += stats.failed;
    total.firstError ??= stats.firstError;
    total.invalidTokensServed += stats.invalidTokensServed;
    total.acquired += stats.acquired;
    total.contended += stats.contended;
    total.stolen += stats.stolen;
    total.totalWaitedMs += stats.totalWaitedMs;
    total.maxWaitedMs = Math.max(total.maxWaitedMs, stats.maxWaitedMs);
  }
  return total;
}

function failedRound(mode: RoundMode, error: string, durationMs: number): RoundResult {
  return {
    mode,
    requests: null,
    expiredTokens: null,
    providerCalls: null,
    extraRefreshes: null,
    invalidTokensServed: null,
    lockWaits: null,
    meanWaitMs: null,
    maxWaitMs: null,
    steals: null,
    fencingTokensOnlyGrew: null,
    failedRequests: 0,
    durationMs: round(durationMs),
    error,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round(ms: number): number {
  return Math.round(ms);
}
