/**
 * One app instance of the demo (a child process of demo/main.ts), alive for all rounds. Per round
 * it serves `requests` concurrent requests; each refreshes its user's OAuth token (guarded by the
 * lock, or not, as the round says) and then uses the token it ended with, which the provider
 * either still accepts or not.
 */
import { createLocking, LOCK_KINDS, type LockKind } from '../src/index.js';
import { makeRefreshUserOAuthToken } from './app.js';
import {
  emptyStats,
  type ParentMessage,
  type RoundMode,
  type WorkerConfig,
  type WorkerMessage,
  type WorkerStats,
} from './protocol.js';
import { ProviderClient } from './provider-client.js';
import { userIds, UserStore, type User } from './users.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (message: WorkerMessage, then: () => void = () => undefined): void =>
  void process.send?.(message, undefined, undefined, then);
let stopping = false;
// Orphaned by a parent that died: leave rather than linger. The channel may already be gone
// when this line runs (the parent can die while the imports above still load).
process.once('disconnect', () => stopping || process.exit(1));
if (!process.connected) process.exit(1);

const users = new UserStore({
  host: config.datastoreHost,
  projectId: config.projectId,
  namespace: config.namespace,
});
const provider = new ProviderClient(config.providerUrl);
const refreshUserOAuthToken = makeRefreshUserOAuthToken({ users, provider });
const locking = createLocking({
  datastore: users.datastore,
  namespace: config.namespace,
  memcacheServers: config.memcacheServers,
  memcacheKeyPrefix: `${config.namespace}:`,
});
let stats = emptyStats();

// The fencing token each identifier is held under in this process right now. The library queues
// same-identifier callers inside a process, so an `acquired` event is followed by that holder's
// critical section before the next holder of the identifier can start.
const heldFencingToken = new Map<string, bigint | null>();
locking.on('acquired', (event) => {
  stats.acquired += 1;
  stats.totalWaitedMs += event.waitedMs;
  stats.maxWaitedMs = Math.max(stats.maxWaitedMs, event.waitedMs);
  heldFencingToken.set(event.identifier, event.fencingToken);
});
locking.on('contended', () => (stats.contended += 1));
locking.on('stolen', () => (stats.stolen += 1));

async function criticalSection(user: User): Promise<void> {
  stats.criticalSections[user.id] = (stats.criticalSections[user.id] ?? 0) + 1;
  const fencingToken = heldFencingToken.get('oauth:' + user.id);
  if (typeof fencingToken === 'bigint') await users.appendFencingToken(user.id, fencingToken);
  await refreshUserOAuthToken(user);
}

const guarded: Record<LockKind, (user: User) => Promise<unknown>> = {
  strong: locking.lock((user: User) => 'oauth:' + user.id, { kind: LOCK_KINDS.STRONG })(
    criticalSection,
  ),
  weak: locking.lock((user: User) => 'oauth:' + user.id, { kind: LOCK_KINDS.WEAK })(
    criticalSection,
  ),
};

async function serveRequest(mode: RoundMode, user: User): Promise<void> {
  try {
    await (mode === 'none' ? criticalSection(user) : guarded[mode](user));
    if (!(await provider.isValid(user.token))) stats.invalidTokensServed += 1;
  } catch (error) {
    stats.failed += 1;
    stats.firstError ??= error instanceof Error ? error.message : String(error);
  }
  stats.requests += 1;
  send({ type: 'progress', done: stats.requests, contended: stats.contended });
}

async function serveRound(mode: RoundMode): Promise<WorkerStats> {
  stats = emptyStats();
  heldFencingToken.clear();
  const ids = userIds(config.users);
  // Round-robin over every request of every worker, so users get evenly shared load.
  const requests = Array.from({ length: config.requests }, (_, index) => {
    const id = ids[(config.workerIndex * config.requests + index) % ids.length]!;
    return serveRequest(mode, { id, token: '', tokenExpiresAt: 0 });
  });
  await Promise.all(requests);
  return stats;
}

/** Opens the Datastore connection and the lock backends before the first round. */
async function warmUp(): Promise<void> {
  await users.refreshFromDb({ id: userIds(1)[0]!, token: '', tokenExpiresAt: 0 }).catch(() => {
    // Not seeded yet: the lookup still opened the connection.
  });
  // A backend that cannot be created (memcached unreachable, WEAK not built) fails each request.
  for (const kind of config.kinds) await locking.backend(kind).catch(() => undefined);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'round') {
    void serveRound(message.mode).then((result) => send({ type: 'result', stats: result }));
  } else {
    stopping = true;
    void locking.close().finally(() => process.exit(0));
  }
});
await warmUp();
send({ type: 'ready' });
