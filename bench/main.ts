import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startLocalServices, type LocalServices } from '../emulator/services.js';
import { parseArgs, USAGE, type BenchArgs } from './args.js';
import { renderChart } from './chart.js';
import {
  combineRounds,
  runContentionRound,
  type ContentionRound,
  type ContentionRun,
  type ContentionSetup,
  type ContentionVariant,
} from './contention.js';
import type { ContendedName } from './contention-worker.js';
import { formatReport } from './report.js';
import type { BenchResult } from './result.js';
import { runScale } from './scale.js';
import { judgeTargets } from './targets.js';
import { runUncontended, type UncontendedResult } from './uncontended.js';

interface ContentionEntry {
  readonly service: string;
  readonly address: string;
  readonly name: ContendedName;
  readonly variant?: ContentionVariant;
}

const launchedAt = performance.now();
const progress = (message: string): void =>
  void process.stderr.write(
    `bench [${((performance.now() - launchedAt) / 1000).toFixed(1)} s]: ${message}\n`,
  );

/** Sizes of a full run and of `--quick` (a smoke run under 60 s, not a measurement). */
function plan(quick: boolean) {
  return quick
    ? {
        strongIterations: 15,
        weakIterations: 200,
        warmupMs: 1000,
        contention: {
          processes: 4,
          contendersPerProcess: 2,
          holdMs: 10,
          thinkMs: 10,
          windowMs: 2000,
        },
        rounds: 1,
        strongContended: ['conditional'] as ContendedName[],
        scale: {
          identifiers: 100,
          leaseMs: 3000,
          holdMs: 1500,
          heapHeld: 2000,
          heapHeldEmulator: 0,
          overheadMs: 300,
        },
      }
    : {
        strongIterations: 200,
        weakIterations: 2000,
        warmupMs: 5000,
        contention: {
          processes: 4,
          contendersPerProcess: 2,
          holdMs: 10,
          thinkMs: 10,
          windowMs: 5000,
        },
        rounds: 2,
        strongContended: ['conditional', 'transaction', 'datastore-lock'] as ContendedName[],
        // A lease long enough for 1,000 concurrent first writes to land on a 2-core emulator:
        // a lease is counted from when its write was sent.
        scale: {
          identifiers: 1000,
          leaseMs: 6000,
          holdMs: 10_000,
          heapHeld: 10_000,
          heapHeldEmulator: 2_000,
          overheadMs: 2000,
        },
      };
}

async function measure(args: BenchArgs, services: LocalServices, runId: string, startedAt: Date) {
  const sizes = plan(args.quick);
  const datastoreServices = [
    ['firestore', services.firestoreHost],
    ['legacy', services.legacyHost],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  const uncontended: UncontendedResult[] = [];
  for (const [service, host] of datastoreServices) {
    progress(`uncontended cycles on ${service} (${sizes.strongIterations} each)`);
    uncontended.push(
      await runUncontended(service, {
        backend: 'datastore',
        address: host,
        iterations: sizes.strongIterations,
        warmupMs: sizes.warmupMs,
        runId,
      }),
    );
  }
  progress(`uncontended cycles on memcached (${sizes.weakIterations} each)`);
  uncontended.push(
    await runUncontended('memcached', {
      backend: 'memcache',
      address: services.memcacheServers!,
      iterations: sizes.weakIterations,
      warmupMs: sizes.warmupMs / 2,
      runId,
    }),
  );

  // Rounds of every contender take turns (order rotated per round), so a noisy minute on this
  // shared machine does not land on one contender only.
  // Experiments on the Firestore emulator (full runs only): our defaults against alternatives
  // a user can choose (one Locking per caller) or a core change would make (shorter backoff).
  const experiments: ContentionVariant[] = args.quick
    ? []
    : [
        { label: 'a Locking per contender', lockingPerContender: true },
        { label: 'backoff 5/50 ms', backoff: { initialMs: 5, maxMs: 50 } },
      ];
  const entries: ContentionEntry[] = [
    ...datastoreServices.flatMap(([service, address]) =>
      sizes.strongContended.map((name): ContentionEntry => ({ service, address, name })),
    ),
    ...experiments.map((variant): ContentionEntry => ({
      service: 'firestore',
      address: services.firestoreHost!,
      name: 'conditional',
      variant,
    })),
    { service: 'memcached', address: services.memcacheServers!, name: 'WEAK' },
  ];
  // Rounds of every entry take turns (order rotated per round), so a noisy minute on this shared
  // machine does not land on one contender only.
  const rounds = new Map<ContentionEntry, ContentionRound[]>();
  const setup: ContentionSetup = sizes.contention;
  for (let round = 0; round < sizes.rounds; round += 1) {
    for (let turn = 0; turn < entries.length; turn += 1) {
      const index = (round + turn) % entries.length;
      const entry = entries[index]!;
      const label = `${entry.name}${entry.variant ? ` (${entry.variant.label})` : ''} on ${entry.service}`;
      progress(`contention round ${round + 1}/${sizes.rounds}: ${label}`);
      const identifier = `${runId}:contended:${index}:${round}`;
      const result = await runContentionRound(
        entry.name,
        entry.address,
        identifier,
        setup,
        entry.variant,
      );
      rounds.set(entry, [...(rounds.get(entry) ?? []), result]);
    }
  }
  const contention: ContentionRun[] = entries.map((entry) =>
    combineRounds(entry.name, entry.service, rounds.get(entry)!, entry.variant),
  );

  progress('scale: many identifiers, heap per lock, library CPU');
  const scale = await runScale(
    'firestore',
    services.firestoreHost!,
    sizes.scale,
    runId,
    args.quick,
  );
  const partial = {
    startedAt: startedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    quick: args.quick,
    machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg() },
    contentionSetup: { ...setup, rounds: sizes.rounds },
    uncontended,
    contention,
    scale,
  };
  return { ...partial, targets: judgeTargets(partial) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const startedAt = new Date();
  const runId = `bench-${startedAt.getTime()}-${randomBytes(3).toString('hex')}`;
  progress(
    `starting local services (${args.quick ? 'Firestore emulator and memcached' : 'both emulators and memcached'})`,
  );
  const services = await startLocalServices({
    firestore: true,
    legacy: !args.quick,
    memcached: true,
  });
  let result: BenchResult;
  try {
    const measured = await measure(args, services, runId, startedAt);
    result = { ...measured, durationMs: Date.now() - startedAt.getTime() };
  } finally {
    await services.stop();
  }
  process.stdout.write(formatReport(result) + '\n');
  if (args.chart) {
    const path = fileURLToPath(new URL('../docs/bench.svg', import.meta.url));
    writeFileSync(path, renderChart(result));
    process.stdout.write(`Chart written to docs/bench.svg\n`);
  }
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
