import { setTimeout as delay } from 'node:timers/promises';
import { Datastore } from '@google-cloud/datastore';
import { startFaultProxy, type FaultProxy } from '../emulator/proxy.js';
import { checkSections, type Finding } from './checker.js';
import { sharedNowMs } from './clock.js';
import { FencedResource } from './fenced-resource.js';
import { Fleet } from './fleet.js';
import type { RestartableService } from './services.js';

export type FaultName = 'kill' | 'pause' | 'delay' | 'drop' | 'blackhole' | 'restart';

export interface PhaseSpec {
  readonly name: string;
  readonly backend: 'datastore' | 'memcache';
  readonly protocol: 'conditional' | 'transaction';
  readonly service: RestartableService;
  /** Emulator host of the fenced resource (a different emulator: restarts must not wipe it). */
  readonly resourceHost: string | null;
  readonly workers: number;
  readonly seconds: number;
  readonly faults: readonly FaultName[];
  readonly leaseMs: number;
  readonly rpcTimeoutMs: number;
  readonly waitForMs: number;
  readonly holdMs: readonly [number, number];
  readonly longHoldChance: number;
  /** STRONG: overlaps are violations. WEAK under faults: they are reported, not promised away. */
  readonly promisesExclusion: boolean;
  /** Per-worker clock skews (the clock-skew runs); default all 0. */
  readonly skewsMs?: readonly number[];
}

export interface PhaseResult {
  readonly name: string;
  readonly processes: number;
  readonly sections: number;
  readonly kills: number;
  readonly pauses: number;
  readonly serviceFaults: number;
  readonly backendErrors: number;
  /** Longest time from the end of a service fault to the next critical section, ms. */
  readonly maxRecoveryMs: number | null;
  readonly lateWritesRejected: number;
  readonly overlaps: number;
  readonly violations: Finding[];
  readonly notes: string[];
}

interface Window {
  readonly fault: FaultName;
  readonly from: number;
  readonly to: number;
  /** The service could not answer at all: a LockBackendError must be seen. */
  readonly down: boolean;
}

const RECOVERY_MS = 20_000;

/** Runs one torture phase: workers contend for one identifier while faults are injected. */
export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const id = `${spec.name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`;
  const proxy = await startFaultProxy(spec.service.port);
  const startedAt = sharedNowMs();
  const fleet = new Fleet(spec.name.split(' ')[0]!.toLowerCase(), {
    backend: spec.backend,
    protocol: spec.protocol,
    lockHost: proxy.host,
    resourceHost: spec.resourceHost,
    resourceKind: `TortureFence-${id}`,
    identifier: `torture:${id}`,
    leaseMs: spec.leaseMs,
    rpcTimeoutMs: spec.rpcTimeoutMs,
    waitForMs: spec.waitForMs,
    holdMs: spec.holdMs,
    longHoldChance: spec.longHoldChance,
    kindName: 'TortureLock',
  });
  const notes: string[] = [];
  const windows: Window[] = [];
  let stopAtMs: number | undefined;
  try {
    for (let i = 0; i < spec.workers; i += 1) fleet.spawnWorker(spec.skewsMs?.[i] ?? 0);
    await runFaults(spec, fleet, proxy, startedAt, windows, notes);
    await settle(spec, fleet, windows, startedAt);
    stopAtMs = sharedNowMs();
    fleet.stop();
    await fleet.finish(spec.waitForMs + spec.rpcTimeoutMs * 4 + 20_000);
  } finally {
    fleet.killAll();
    await proxy.close();
  }

  const fenceSeqByEpoch = new Map<number, number>();
  if (spec.resourceHost) {
    const resource = new FencedResource(
      new Datastore({ projectId: 'gcp-locking-torture', apiEndpoint: spec.resourceHost }),
      `TortureFence-${id}`,
    );
    for (let epoch = 0; epoch <= fleet.epoch; epoch += 1) {
      fenceSeqByEpoch.set(epoch, (await resource.read(epoch))?.seq ?? 0);
    }
  }
  const { log } = fleet;
  const checked = checkSections({
    sections: log.sections,
    fenceSeqByEpoch,
    fenced: spec.resourceHost !== null,
    lostToleranceMs: 250,
  });
  const violations: Finding[] = [...log.problems];
  let overlaps = 0;
  for (const finding of checked.violations) {
    if (finding.rule === 'exclusion') overlaps += 1;
    // Where exclusion is not promised (WEAK, skew past the bound), its breaches are shown, not failed.
    if (spec.promisesExclusion) violations.push(finding);
    else notes.push(`${finding.rule} (not promised in this run): ${finding.detail}`);
  }
  const offsets = log.originOffsetsMs;
  if (offsets.length > 1) {
    const spread = Math.max(...offsets) - Math.min(...offsets);
    notes.push(
      `timeOrigin-based clocks of the workers disagreed by up to ${spread.toFixed(1)} ms (the wall clock is used)`,
    );
  }
  violations.push(...livenessFindings(log, windows, stopAtMs ?? sharedNowMs()));
  if (checked.lateWritesAccepted > 0) {
    notes.push(
      `${checked.lateWritesAccepted} write(s) of holders that had lost the lock were accepted: ` +
        'no later holder had written yet, so the fence rightly let them through',
    );
  }
  return {
    name: spec.name,
    processes: log.spawned,
    sections: log.sections.length,
    kills: log.kills,
    pauses: log.pauses,
    serviceFaults: windows.filter((w) => w.fault !== 'kill' && w.fault !== 'pause').length,
    backendErrors: log.errors.filter((e) => e.name === 'LockBackendError').length,
    maxRecoveryMs: maxRecovery(log.sections, windows),
    lateWritesRejected: checked.lateWritesRejected,
    overlaps,
    violations,
    notes,
  };
}

/** How long a fault takes to inject (not counting the recovery gap after it). */
export function faultMs(
  fault: FaultName,
  spec: Pick<PhaseSpec, 'leaseMs' | 'rpcTimeoutMs'>,
): number {
  switch (fault) {
    case 'kill':
      return 500;
    case 'pause':
      return spec.leaseMs * 2 + 500;
    case 'delay':
      return spec.leaseMs * 1.5;
    case 'drop':
      return 1200;
    case 'blackhole':
      return Math.max(spec.rpcTimeoutMs * 2, spec.leaseMs * 1.2);
    case 'restart':
      return spec.leaseMs + 1000 + 8000; // a JVM emulator takes a few seconds to start
  }
}

const GAP_MS = 1500;
const TAIL_MS = 5000;

/** Injects the faults one after another, spread over `seconds`, once the lock is in use. */
async function runFaults(
  spec: PhaseSpec,
  fleet: Fleet,
  proxy: FaultProxy,
  startedAt: number,
  windows: Window[],
  notes: string[],
): Promise<void> {
  if (spec.faults.length === 0) return;
  if (!(await fleet.nextHolder(30_000)))
    notes.push('nobody took the lock within 30 s of the start');
  const needed = spec.faults.reduce((sum, fault) => sum + faultMs(fault, spec), 0);
  const spare = startedAt + spec.seconds * 1000 - TAIL_MS - needed - sharedNowMs();
  const gapMs = Math.max(GAP_MS, spare / spec.faults.length);
  for (const fault of spec.faults) {
    await delay(gapMs * (0.5 + Math.random()));
    const from = sharedNowMs();
    await inject(fault, spec, fleet, proxy, windows, notes);
    if (process.env.TORTURE_DEBUG) {
      const at = (ms: number) => new Date(ms).toISOString().slice(14, 23);
      console.log(`   fault ${fault} ${at(from)} .. ${at(sharedNowMs())}`);
    }
  }
}

/**
 * Lets the run go on until `seconds` have passed, `TAIL_MS` after the last fault, and until the
 * lock has worked again after the last fault (or `RECOVERY_MS` passed: the check reports it).
 */
async function settle(
  spec: PhaseSpec,
  fleet: Fleet,
  windows: readonly Window[],
  startedAt: number,
): Promise<void> {
  const last = windows.at(-1);
  await delay(Math.max(TAIL_MS, startedAt + spec.seconds * 1000 - sharedNowMs()));
  if (!last) return;
  while (!fleet.beganAfter(last.to) && sharedNowMs() < last.to + RECOVERY_MS) await delay(200);
}

async function inject(
  fault: FaultName,
  spec: PhaseSpec,
  fleet: Fleet,
  proxy: FaultProxy,
  windows: Window[],
  notes: string[],
): Promise<void> {
  const from = sharedNowMs();
  switch (fault) {
    case 'kill': {
      const holder = await fleet.nextHolder(10_000);
      if (!holder) return void notes.push('kill skipped: nobody took the lock within 10 s');
      await delay(Math.random() * 10);
      fleet.kill(holder);
      fleet.spawnWorker();
      return;
    }
    case 'pause': {
      const holder = await fleet.nextHolder(10_000);
      if (!holder) return void notes.push('pause skipped: nobody took the lock within 10 s');
      await fleet.pause(holder, spec.leaseMs * 2);
      return;
    }
    case 'delay':
      // Longer than the RPC deadline: writes land after the client gave up on them.
      proxy.setDelayMs(spec.rpcTimeoutMs * 1.3);
      await delay(spec.leaseMs * 1.5);
      proxy.setDelayMs(0);
      windows.push({ fault, from, to: sharedNowMs(), down: false });
      return;
    case 'drop':
      for (let i = 0; i < 4; i += 1) {
        proxy.dropAll();
        await delay(150 + Math.random() * 250);
      }
      windows.push({ fault, from, to: sharedNowMs(), down: false });
      return;
    case 'blackhole':
      proxy.blackhole();
      await delay(Math.max(spec.rpcTimeoutMs * 2, spec.leaseMs * 1.2));
      proxy.restore();
      windows.push({ fault, from, to: sharedNowMs(), down: true });
      return;
    case 'restart': {
      // Down for longer than a lease: every holder has lost its lock before the (empty) service returns.
      const { downAt, upAt } = await spec.service.restart(spec.leaseMs + 1000);
      if (spec.service.resetsVersions) fleet.nextEpoch();
      proxy.setTarget(spec.service.port);
      proxy.dropAll();
      windows.push({ fault, from: downAt, to: upAt, down: true });
      return;
    }
  }
}

function maxRecovery(
  sections: Fleet['log']['sections'],
  windows: readonly Window[],
): number | null {
  const gaps = windows.map((window) => {
    const next = Math.min(...sections.filter((s) => s.begin > window.to).map((s) => s.begin));
    return next - window.to;
  });
  const finite = gaps.filter(Number.isFinite);
  return finite.length > 0 ? Math.round(Math.max(...finite)) : null;
}

function livenessFindings(
  log: Fleet['log'],
  windows: readonly Window[],
  stopAtMs: number,
): Finding[] {
  const findings: Finding[] = [];
  for (const error of log.errors) {
    if (error.name !== 'LockBackendError') {
      findings.push({
        rule: 'clear error',
        detail: `${error.holder}: ${error.op} failed with ${error.name} (not LockBackendError): ${error.message}`,
      });
    }
  }
  for (const window of windows) {
    if (window.down) {
      const seen = log.errors.some((e) => e.at >= window.from && e.at <= window.to + 2000);
      if (!seen) {
        findings.push({
          rule: 'clear error while down',
          detail: `no LockBackendError was reported during the ${window.fault} (${Math.round(window.to - window.from)} ms)`,
        });
      }
    }
    const recovered = log.sections.some(
      (s) => s.begin > window.to && s.begin <= window.to + RECOVERY_MS,
    );
    if (!recovered && window.to + RECOVERY_MS <= stopAtMs) {
      findings.push({
        rule: 'works once back',
        detail: `no critical section began within ${RECOVERY_MS} ms after the ${window.fault} ended`,
      });
    }
  }
  return findings;
}
