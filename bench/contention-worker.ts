import { setTimeout as sleep } from 'node:timers/promises';
import { createLocking, LOCK_KINDS, type BackoffOptions, type Locking } from '../src/index.js';
import { nextMessage, serveJob } from './child.js';
import { countedDatastore, countedMemcache, loadDatastoreLock } from './clients.js';
import { BENCH_KIND, weakLocking } from './contenders.js';
import { RequestCounter } from './request-counter.js';
import { sharedNowMs } from './stats.js';

export const CONTENDED = ['conditional', 'transaction', 'datastore-lock', 'WEAK'] as const;
export type ContendedName = (typeof CONTENDED)[number];

export interface ContentionJob {
  readonly contender: ContendedName;
  /** DATASTORE_EMULATOR_HOST, or MEMCACHE_SERVERS for WEAK. */
  readonly address: string;
  readonly identifier: string;
  readonly processIndex: number;
  /** Contenders in this process (they share one client and, for ours, one `Locking`). */
  readonly contenders: number;
  readonly holdMs: number;
  /** Pause after a release before the contender asks again (work done outside the lock). */
  readonly thinkMs: number;
  readonly backoff?: BackoffOptions;
  /** One `Locking` per contender instead of one per process: no local queue between them. */
  readonly lockingPerContender?: boolean;
}

export interface ContentionGo {
  /** Shared-clock time (epoch ms) at which every process starts. */
  readonly startAt: number;
  readonly durationMs: number;
}

/** One holding of the lock, on the clock every process of this machine shares. */
export interface Holding {
  readonly processIndex: number;
  readonly contender: number;
  /** When this contender asked for the lock. */
  readonly askedAt: number;
  readonly acquiredAt: number;
  /** NaN if the worker was cut off before the release began (or ended). */
  releaseStartAt: number;
  releasedAt: number;
}

export interface ContentionWorkerResult {
  readonly holdings: Holding[];
  /** Backend requests this process sent between start and stop. */
  readonly requests: number;
  readonly requestsByMethod: Record<string, number>;
  /** Acquire or release calls that threw (datastore-lock only: ours crash the bench instead). */
  readonly failures: number;
}

const GRACE_MS = 2_000;

/** Takes the lock, waiting as long as `signal` allows; resolves its release, or `null` if stopped. */
type Take = (
  identifier: string,
  signal: AbortSignal,
  stopAt: number,
  contender: number,
) => Promise<(() => Promise<unknown>) | null>;

function taker(job: ContentionJob, counter: RequestCounter, failures: { count: number }): Take {
  if (job.contender === 'datastore-lock') {
    const DatastoreLock = loadDatastoreLock(job.address, counter);
    return async (identifier, _signal, stopAt) => {
      while (sharedNowMs() < stopAt) {
        // It cannot be cancelled; its own acquire timeout ends the wait (after its current sleep).
        const lock = new DatastoreLock(
          'bench',
          identifier,
          20_000,
          Math.max(1, stopAt - sharedNowMs()),
        );
        try {
          if (!(await lock.acquire())) return null;
        } catch {
          // Under contention its commit fails, then its rollback of the finished transaction
          // throws "This transaction has already expired" out of acquire(). Counted; tried again
          // at once (sooner than its own backoff would: this favours it).
          failures.count += 1;
          continue;
        }
        return async () => {
          try {
            await lock.release();
          } catch {
            failures.count += 1;
          }
        };
      }
      return null;
    };
  }
  let makeLocking: () => Locking;
  let kind: 'strong' | 'weak' = LOCK_KINDS.STRONG;
  if (job.contender === 'WEAK') {
    const client = countedMemcache(job.address, counter);
    makeLocking = () => weakLocking(client);
    kind = LOCK_KINDS.WEAK;
  } else {
    process.env.DATASTORE_EMULATOR_HOST = job.address;
    const datastore = countedDatastore(job.address, counter);
    const protocol = job.contender;
    makeLocking = () =>
      createLocking({
        datastore,
        protocol,
        kindName: BENCH_KIND,
        ...(job.backoff ? { backoff: job.backoff } : {}),
      });
  }
  // One instance per process (its local queue in play), or one per contender (each polls alone).
  const shared = makeLocking();
  const lockings = new Map<number, Locking>();
  const lockingOf = (contender: number): Locking => {
    if (!job.lockingPerContender) return shared;
    if (!lockings.has(contender)) lockings.set(contender, makeLocking());
    return lockings.get(contender)!;
  };
  return async (identifier, signal, _stopAt, contender) => {
    try {
      const held = await lockingOf(contender).acquireOrThrow(identifier, { kind, signal });
      return () => held.release();
    } catch (error) {
      if (signal.aborted) return null;
      throw error;
    }
  };
}

async function contend(
  job: ContentionJob,
  tell: (m: { type: 'ready' }) => void,
): Promise<ContentionWorkerResult> {
  const counter = new RequestCounter();
  const failures = { count: 0 };
  const take = taker(job, counter, failures);
  // Opens the connection and warms the code paths on an identifier of its own.
  const warm = await take(
    `${job.identifier}:warm:${job.processIndex}`,
    new AbortController().signal,
    sharedNowMs() + 10_000,
    0,
  );
  await warm?.();
  tell({ type: 'ready' });
  const go = await nextMessage<ContentionGo>();
  const stopAt = go.startAt + go.durationMs;
  await sleep(Math.max(0, go.startAt - sharedNowMs()));
  const before = counter.byMethod();
  const stop = new AbortController();
  let inWindow: Record<string, number> = {};
  const stopTimer = new Promise<void>((resolve) =>
    setTimeout(
      () => {
        inWindow = counter.byMethod();
        stop.abort();
        resolve();
      },
      Math.max(0, stopAt - sharedNowMs()),
    ),
  );
  const holdings: Holding[] = [];
  const contender = async (index: number): Promise<void> => {
    while (sharedNowMs() < stopAt) {
      const askedAt = sharedNowMs();
      const release = await take(job.identifier, stop.signal, stopAt, index);
      if (!release) return;
      // Recorded at once, so a holding still open when the worker is cut off still counts.
      const holding = {
        processIndex: job.processIndex,
        contender: index,
        askedAt,
        acquiredAt: sharedNowMs(),
        releaseStartAt: NaN,
        releasedAt: NaN,
      };
      holdings.push(holding);
      if (job.holdMs > 0) await sleep(job.holdMs);
      holding.releaseStartAt = sharedNowMs();
      await release();
      holding.releasedAt = sharedNowMs();
      if (job.thinkMs > 0) await sleep(job.thinkMs);
    }
  };
  // A waiter that cannot be cancelled (datastore-lock sleeps up to 11 s between attempts) is cut
  // off a grace period after the window; its process exits right after reporting.
  const cutOff = sleep(Math.max(0, stopAt + GRACE_MS - sharedNowMs()));
  await Promise.race([
    Promise.all([...Array.from({ length: job.contenders }, (_, i) => contender(i)), stopTimer]),
    cutOff.then(() => stopTimer),
  ]);
  const requestsByMethod = Object.fromEntries(
    Object.entries(inWindow)
      .map(([method, count]) => [method, count - (before[method] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
  return {
    holdings,
    requests: Object.values(requestsByMethod).reduce((a, b) => a + b, 0),
    requestsByMethod,
    failures: failures.count,
  };
}

serveJob<ContentionJob, ContentionWorkerResult>((job, tell) => contend(job, tell));
