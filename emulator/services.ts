import { startDatastoreEmulator, type RunningEmulator } from './datastore.js';
import { startMemcached, type RunningMemcached } from './memcached.js';
import { installExitHooks } from './process-group.js';

export interface LocalServices {
  /** DATASTORE_EMULATOR_HOST of the Firestore emulator in Datastore mode (or the user's own). */
  readonly firestoreHost: string | undefined;
  /** DATASTORE_EMULATOR_HOST of the legacy Datastore emulator. */
  readonly legacyHost: string | undefined;
  /** MEMCACHE_SERVERS of the memcached (or the user's own). */
  readonly memcacheServers: string | undefined;
  /** Emulators and memcached started here (not the user's), for fault tests that stop them. */
  readonly started: {
    firestore?: RunningEmulator;
    legacy?: RunningEmulator;
    memcached?: RunningMemcached;
  };
  stop(): Promise<void>;
}

export interface ServiceChoice {
  firestore?: boolean;
  legacy?: boolean;
  memcached?: boolean;
}

/**
 * Starts the services asked for, in parallel, unless the user already points at their own:
 * DATASTORE_EMULATOR_HOST stands in for the Firestore emulator, MEMCACHE_SERVERS for memcached.
 * Everything started here is stopped by `stop()`, or when this process exits.
 */
export async function startLocalServices(
  choice: ServiceChoice,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalServices> {
  installExitHooks();
  const useOwnDatastore = Boolean(env.DATASTORE_EMULATOR_HOST);
  const useOwnMemcache = Boolean(env.MEMCACHE_SERVERS);
  const started: LocalServices['started'] = {};
  const tasks = await Promise.allSettled([
    choice.firestore && !useOwnDatastore
      ? startDatastoreEmulator('firestore').then((e) => (started.firestore = e))
      : undefined,
    choice.legacy && !useOwnDatastore
      ? startDatastoreEmulator('legacy').then((e) => (started.legacy = e))
      : undefined,
    choice.memcached && !useOwnMemcache
      ? startMemcached().then((m) => (started.memcached = m))
      : undefined,
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([
      started.firestore?.stop(),
      started.legacy?.stop(),
      started.memcached?.stop(),
    ]);
  };
  const failure = tasks.find((task): task is PromiseRejectedResult => task.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  return {
    firestoreHost: choice.firestore
      ? (env.DATASTORE_EMULATOR_HOST ?? started.firestore?.host)
      : undefined,
    legacyHost: started.legacy?.host,
    memcacheServers: choice.memcached
      ? (env.MEMCACHE_SERVERS ?? started.memcached?.servers)
      : undefined,
    started,
    stop,
  };
}
