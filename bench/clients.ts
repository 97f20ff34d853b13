import { createRequire } from 'node:module';
import { Datastore } from '@google-cloud/datastore';
import memjs from 'memjs';
import {
  countDatastoreRequests,
  countMemcacheRequests,
  type RequestCounter,
} from './request-counter.js';

/** Any project id works on the emulators. */
export const BENCH_PROJECT = 'gcp-locking-bench';

/** A Datastore client for one emulator, with every RPC it sends counted. */
export function countedDatastore(host: string, counter: RequestCounter): Datastore {
  const datastore = new Datastore({ projectId: BENCH_PROJECT, apiEndpoint: host });
  countDatastoreRequests(datastore, counter);
  return datastore;
}

/** A memjs client built the way WEAK locks want it (no failover, fail fast), with requests counted. */
export function countedMemcache(servers: string, counter: RequestCounter): memjs.Client {
  const client = memjs.Client.create(servers, {
    retries: 1,
    timeout: 2,
    failover: false,
    logger: { log: () => undefined },
  });
  countMemcacheRequests(client, counter);
  return client;
}

/** What the bench uses of `@google-automations/datastore-lock`. */
export interface DatastoreLockHandle {
  acquire(): Promise<boolean>;
  release(): Promise<boolean>;
}
export type DatastoreLockClass = new (
  lockId: string,
  target: string,
  lockExpiry?: number,
  lockAcquireTimeout?: number,
) => DatastoreLockHandle;

/**
 * Loads datastore-lock pointed at `host`. It builds its own module-level client from the
 * environment (no injection), with its own copy of @google-cloud/datastore (9.x): so the
 * environment is set before its first lock, and its RPCs are counted on that copy's
 * `DatastoreRequest.prototype.request_`, which its transactions inherit. One emulator per process.
 */
export function loadDatastoreLock(host: string, counter: RequestCounter): DatastoreLockClass {
  process.env.DATASTORE_EMULATOR_HOST = host;
  process.env.DATASTORE_PROJECT_ID = BENCH_PROJECT;
  const require = createRequire(import.meta.url);
  const requireBeside = createRequire(require.resolve('@google-automations/datastore-lock'));
  const datastoreCopy = requireBeside('@google-cloud/datastore') as {
    DatastoreRequest: { prototype: object };
  };
  countDatastoreRequests(datastoreCopy.DatastoreRequest.prototype, counter);
  // Its only use of gcf-utils is a logger that writes every acquisition to stdout at debug level,
  // synchronously; and loading gcf-utils (Probot, Octokit...) takes seconds per process. Stubbed
  // with a silent logger, so the comparison is of the lock protocol (this favours datastore-lock).
  const gcfUtilsPath = requireBeside.resolve('gcf-utils');
  const silent = (): void => undefined;
  requireBeside.cache[gcfUtilsPath] = {
    id: gcfUtilsPath,
    filename: gcfUtilsPath,
    loaded: true,
    exports: { logger: { debug: silent, info: silent, warn: silent, error: silent } },
  } as unknown as NodeJS.Module;
  const module = requireBeside('@google-automations/datastore-lock') as {
    DatastoreLock: DatastoreLockClass;
  };
  return module.DatastoreLock;
}
