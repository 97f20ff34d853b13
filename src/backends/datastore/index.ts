import type { Datastore } from '@google-cloud/datastore';
import { LockError } from '../../errors.js';
import type { LockBackend } from '../backend.js';
import { ConditionalDatastoreBackend } from './conditional.js';
import { DatastoreRpc } from './rpc.js';
import { TransactionalDatastoreBackend } from './transaction.js';

export interface DatastoreBackendOptions {
  datastore: Datastore | undefined;
  protocol: 'conditional' | 'transaction';
  kindName: string;
  namespace: string;
  rpcTimeoutMs: number;
}

/** A STRONG backend on the given Datastore client, or on one built from the environment. */
export async function createDatastoreBackend(
  options: DatastoreBackendOptions,
): Promise<LockBackend> {
  const datastore = options.datastore ?? (await datastoreFromEnvironment());
  const settings = {
    rpc: new DatastoreRpc(datastore, options.rpcTimeoutMs),
    kindName: options.kindName,
    namespace: options.namespace,
  };
  return options.protocol === 'transaction'
    ? new TransactionalDatastoreBackend(settings)
    : new ConditionalDatastoreBackend(settings);
}

/**
 * Builds a client the way Google's libraries do: DATASTORE_EMULATOR_HOST selects the emulator;
 * DATASTORE_PROJECT_ID, then GOOGLE_CLOUD_PROJECT, names the project; otherwise Application
 * Default Credentials decide.
 */
export async function datastoreFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Datastore> {
  let module: typeof import('@google-cloud/datastore');
  try {
    module = await import('@google-cloud/datastore');
  } catch (error) {
    throw new LockError(
      'STRONG locks need @google-cloud/datastore: run `npm install @google-cloud/datastore`, ' +
        'or use createLocking({ backend: "memory" }) in unit tests.',
      { cause: error },
    );
  }
  // Against an emulator there is no metadata server to find; without this google-auth-library
  // probes for one and prints a MetadataLookupWarning on every start.
  if (env.DATASTORE_EMULATOR_HOST) env.METADATA_SERVER_DETECTION ??= 'none';
  const projectId =
    env.DATASTORE_PROJECT_ID ||
    env.GOOGLE_CLOUD_PROJECT ||
    // The emulators accept any project; without one the client would probe the metadata server.
    (env.DATASTORE_EMULATOR_HOST ? 'gcp-locking-local' : undefined);
  return new module.Datastore(projectId ? { projectId } : {});
}
