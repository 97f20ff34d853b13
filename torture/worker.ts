/**
 * One torture worker process: takes one identifier again and again until told to stop, holds it a
 * random time, writes through the fenced resource (even when it has lost the lock: that late
 * write is what the fence must reject), and reports every step as a JSON line on stdout.
 */
import './skew-preload.js';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { Datastore } from '@google-cloud/datastore';
import { createLocking, LOCK_KINDS, LockLostError, type Lock } from '../src/index.js';
import { originOffsetMs, sharedNowMs } from './clock.js';
import { FencedResource } from './fenced-resource.js';
import type { ControlNotice, FencedWrite, WorkerConfig, WorkerMessage } from './messages.js';

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const { holder } = config;

function send(message: WorkerMessage): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

// A violation of "never an unhandled rejection": reported, then the process fails.
process.on('unhandledRejection', (reason) => {
  send({ type: 'unhandled', holder, message: `unhandledRejection: ${String(reason)}` });
  process.exitCode = 70;
});
process.on('uncaughtException', (error) => {
  send({ type: 'unhandled', holder, message: `uncaughtException: ${String(error)}` });
  process.exit(70);
});

let epoch = 0;
let stopped = false;
const control = createInterface({ input: process.stdin });
// The parent is gone (its stdin pipe closed): finish like a stop.
control.on('close', () => (stopped = true));
control.on('line', (line) => {
  const notice = JSON.parse(line) as ControlNotice;
  epoch = notice.epoch ?? epoch;
  stopped ||= notice.stop === true;
});

const datastoreFor = (host: string) =>
  new Datastore({ projectId: 'gcp-locking-torture', apiEndpoint: host });
const locking =
  config.backend === 'datastore'
    ? createLocking({
        datastore: datastoreFor(config.lockHost),
        protocol: config.protocol,
        kindName: config.kindName,
        rpcTimeoutMs: config.rpcTimeoutMs,
      })
    : createLocking({ memcacheServers: config.lockHost, rpcTimeoutMs: config.rpcTimeoutMs });
if (process.env.TORTURE_DEBUG) {
  // Library events with shared-clock times, to explain a violation after the fact.
  for (const event of [
    'acquired',
    'stolen',
    'renewed',
    'renewalFailed',
    'lost',
    'released',
    'releaseFailed',
  ] as const) {
    locking.on(event, (detail) => {
      const { error, fencingToken } = detail as { error?: unknown; fencingToken?: bigint | null };
      process.stdout.write(
        JSON.stringify({
          type: 'trace',
          holder,
          event,
          at: sharedNowMs(),
          token:
            fencingToken === undefined || fencingToken === null ? undefined : String(fencingToken),
          error: error instanceof Error ? error.message.slice(0, 200) : undefined,
        }) + '\n',
      );
    });
  }
}
const kind = config.backend === 'datastore' ? LOCK_KINDS.STRONG : LOCK_KINDS.WEAK;
const resource = config.resourceHost
  ? new FencedResource(datastoreFor(config.resourceHost), config.resourceKind)
  : undefined;

/** Runs `work`, and reports a hang if it has not settled within `limitMs` (it keeps waiting). */
async function watched<T>(op: string, limitMs: number, work: Promise<T>): Promise<T> {
  const timer = setTimeout(() => send({ type: 'hang', holder, op, at: sharedNowMs() }), limitMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}

function causeCode(error: unknown): string | null {
  let cause: unknown = (error as { cause?: unknown }).cause;
  if (cause instanceof AggregateError) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : null;
}

function reportError(op: 'acquire' | 'release', error: unknown): void {
  const failure = error as Error;
  send({
    type: 'error',
    holder,
    op,
    at: sharedNowMs(),
    name: failure?.name ?? typeof error,
    causeCode: causeCode(error),
    message: String(failure?.message ?? error).slice(0, 300),
  });
}

function holdMs(): number {
  const [min, max] = config.holdMs;
  if (Math.random() < config.longHoldChance) return config.leaseMs * (1.1 + Math.random() * 0.4);
  return min + Math.random() * (max - min);
}

async function section(held: Lock): Promise<void> {
  const begin = sharedNowMs();
  const token = held.fencingToken === null ? null : String(held.fencingToken);
  let lostAt: number | null = null;
  held.signal.addEventListener('abort', () => {
    if (held.signal.reason instanceof LockLostError) lostAt = sharedNowMs();
  });
  send({ type: 'begin', holder, token, at: begin });
  await delay(holdMs());
  const fenceEpoch = epoch;
  const write: FencedWrite =
    resource && held.fencingToken !== null
      ? await resource.write(held.fencingToken, holder, fenceEpoch)
      : { outcome: 'skipped' };
  // Overdue lease timers of a resumed (SIGCONT) process fire in this turn of the loop.
  await delay(0);
  // Reading `held` also checks the lease against the clock, for a process starved of CPU whose
  // lease timer has not run yet.
  if (!held.held && lostAt === null) lostAt = sharedNowMs();
  const end = sharedNowMs();
  send({ type: 'end', holder, token, begin, end, lost: lostAt !== null, lostAt, write });
}

// A hang is an acquisition that outlives its own wait plus a few RPC deadlines.
const acquireLimitMs = config.waitForMs + config.rpcTimeoutMs * 4 + 10_000;
let sections = 0;
send({ type: 'ready', holder, pid: process.pid, originOffsetMs: originOffsetMs() });
while (!stopped) {
  let held: Lock | null;
  try {
    held = await watched(
      'acquire',
      acquireLimitMs,
      locking.acquire(config.identifier, {
        kind,
        leaseMs: config.leaseMs,
        waitForMs: config.waitForMs,
      }),
    );
  } catch (error) {
    reportError('acquire', error);
    await delay(50 + Math.random() * 150);
    continue;
  }
  if (!held) continue;
  sections += 1;
  await section(held);
  try {
    await watched('release', config.rpcTimeoutMs * 4 + 10_000, held.release());
  } catch (error) {
    reportError('release', error);
  }
}
send({ type: 'done', holder, sections });
await locking.close();
process.exit(process.exitCode ?? 0);
