import { randomBytes } from 'node:crypto';
import type { DemoOptions } from './options.js';
import { FakeOAuthProvider } from './provider.js';
import type { ProgressLine } from './report.js';
import { runRound, type RoundResult } from './round.js';
import { userIds, UserStore } from './users.js';
import { WorkerProcess } from './workers.js';

const PROJECT_ID = 'gcp-locking-demo';
/**
 * The provider's latency per refresh (real token endpoints are slower still). It is what makes
 * unguarded refreshes of one user overlap: every request that read the expired token before the
 * first refresh was saved goes to the provider too.
 */
const PROVIDER_REFRESH_DELAY_MS = 100;

/**
 * Starts the provider and the workers, plays the rounds, and stops everything it started
 * (workers, provider) whatever happens. Leaves the Datastore emulator as it found it.
 */
export async function runDemo(
  options: DemoOptions,
  {
    datastoreHost,
    memcacheServers,
    progress,
  }: { datastoreHost: string; memcacheServers: string | undefined; progress: ProgressLine },
): Promise<{ namespace: string; rounds: RoundResult[] }> {
  // A namespace per run: demo runs sharing an emulator never see each other's users or locks.
  const namespace = `demo-${randomBytes(4).toString('hex')}`;
  const store = new UserStore({ host: datastoreHost, projectId: PROJECT_ID, namespace });
  const provider = await FakeOAuthProvider.start({ refreshDelayMs: PROVIDER_REFRESH_DELAY_MS });
  const workers = Array.from(
    { length: options.workers },
    (_, workerIndex) =>
      new WorkerProcess({
        workerIndex,
        requests: options.requests,
        users: options.users,
        kinds: options.rounds.filter((mode) => mode !== 'none'),
        datastoreHost,
        memcacheServers,
        projectId: PROJECT_ID,
        namespace,
        providerUrl: provider.url,
      }),
  );
  try {
    // Every worker warms up first, so the requests of all instances really arrive together.
    const startedAt = Date.now();
    await Promise.all(workers.map((worker) => worker.ready));
    progress.note(
      `${workers.length} app instances ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`,
    );
    const rounds: RoundResult[] = [];
    for (const mode of options.rounds) {
      progress.start(mode, `${options.workers} workers x ${options.requests} requests`);
      const result = await runRound(
        { mode, users: options.users, requests: options.requests },
        { workers, provider, store, onProgress: (figures) => progress.update(mode, figures) },
      );
      progress.finish(result);
      rounds.push(result);
    }
    await store.remove(userIds(options.users));
    return { namespace, rounds };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await provider.stop();
  }
}
