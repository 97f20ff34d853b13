import type { TortureSizes } from './args.js';
import type { FaultName, PhaseSpec } from './phase.js';
import type { RestartableService } from './services.js';

export interface TortureServices {
  readonly firestore: RestartableService;
  readonly legacy: RestartableService;
  readonly memcached: RestartableService;
  readonly firestoreHost: () => string;
  readonly legacyHost: () => string;
}

/** Interleaves the faults so that kinds alternate over the run instead of bunching up. */
export function faultPlan(
  sizes: Pick<TortureSizes, 'kills' | 'pauses' | 'proxyRounds' | 'restarts'>,
): FaultName[] {
  const queues: FaultName[][] = [
    Array<FaultName>(sizes.kills).fill('kill'),
    Array<FaultName>(sizes.pauses).fill('pause'),
    Array.from(
      { length: sizes.proxyRounds },
      () => ['delay', 'drop', 'blackhole'] as FaultName[],
    ).flat(),
    Array<FaultName>(sizes.restarts).fill('restart'),
  ];
  const plan: FaultName[] = [];
  while (queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) if (queue.length > 0) plan.push(queue.shift()!);
  }
  return plan;
}

/** The phases of a run, in order. The fenced resource lives on the emulator not being tortured. */
export function phases(sizes: TortureSizes, services: TortureServices): PhaseSpec[] {
  const { leaseMs, rpcTimeoutMs } = sizes;
  const common = {
    leaseMs,
    rpcTimeoutMs,
    waitForMs: leaseMs * 3,
    holdMs: [5, 60] as const,
    longHoldChance: 0.04,
  };
  const full = faultPlan(sizes);
  // The transaction protocol is slow under contention on the Firestore emulator (~2 s lock
  // waits), so it runs fewer workers and faults, with deadlines that fit those waits.
  const small = faultPlan({ kills: 1, pauses: 1, proxyRounds: 0, restarts: 0 }).concat('drop');
  const transaction = {
    ...common,
    leaseMs: Math.max(leaseMs, 4000),
    rpcTimeoutMs: Math.max(rpcTimeoutMs, 3000),
    waitForMs: 15_000,
    longHoldChance: 0,
  };
  const txSeconds = Math.max(15, Math.round(sizes.seconds * 0.7));
  const txWorkers = Math.max(2, Math.ceil(sizes.workers / 2));
  const skewSeconds = sizes.ci ? 8 : 20;
  const minutes3 = 3 * 60_000;
  /** Two processes on the legacy emulator (client clocks), the second one's clock `skewMs` ahead. */
  const legacySkewRun = (name: string, skewMs: number, promisesExclusion: boolean): PhaseSpec => ({
    ...common,
    name,
    backend: 'datastore',
    protocol: 'conditional',
    service: services.legacy,
    resourceHost: services.firestoreHost(),
    workers: 2,
    seconds: skewSeconds,
    faults: [],
    skewsMs: [0, skewMs],
    promisesExclusion,
  });
  return [
    {
      ...common,
      name: 'STRONG conditional, Firestore emulator',
      backend: 'datastore',
      protocol: 'conditional',
      service: services.firestore,
      resourceHost: services.legacyHost(),
      workers: sizes.workers,
      seconds: sizes.seconds,
      faults: full,
      promisesExclusion: true,
    },
    {
      ...transaction,
      name: 'STRONG transaction, Firestore emulator',
      backend: 'datastore',
      protocol: 'transaction',
      service: services.firestore,
      resourceHost: services.legacyHost(),
      workers: txWorkers,
      seconds: txSeconds,
      faults: small,
      promisesExclusion: true,
    },
    {
      ...common,
      name: 'STRONG conditional, legacy emulator',
      backend: 'datastore',
      protocol: 'conditional',
      service: services.legacy,
      resourceHost: services.firestoreHost(),
      workers: sizes.workers,
      seconds: sizes.seconds,
      faults: full,
      promisesExclusion: true,
    },
    {
      ...transaction,
      name: 'STRONG transaction, legacy emulator',
      backend: 'datastore',
      protocol: 'transaction',
      service: services.legacy,
      resourceHost: services.firestoreHost(),
      workers: txWorkers,
      seconds: txSeconds,
      faults: small,
      promisesExclusion: true,
    },
    {
      ...common,
      name: 'WEAK, memcached',
      backend: 'memcache',
      protocol: 'conditional',
      service: services.memcached,
      resourceHost: null,
      workers: sizes.workers,
      seconds: sizes.seconds,
      faults: full,
      promisesExclusion: false,
    },
    {
      ...common,
      name: 'STRONG skew ±3 min, Firestore emulator',
      backend: 'datastore',
      protocol: 'conditional',
      service: services.firestore,
      resourceHost: services.legacyHost(),
      workers: 3,
      seconds: skewSeconds,
      faults: [],
      skewsMs: [0, minutes3, -minutes3],
      promisesExclusion: true,
    },
    legacySkewRun(`STRONG skew +${leaseMs / 4} ms, legacy emulator`, leaseMs / 4, true),
    // Beyond the documented bound of the client-clock path: overlaps are expected and shown.
    legacySkewRun(`DEMO skew +${leaseMs * 2} ms, legacy emulator`, leaseMs * 2, false),
  ];
}
