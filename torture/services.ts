import { setTimeout as delay } from 'node:timers/promises';
import {
  startDatastoreEmulator,
  type DatastoreEmulatorKind,
  type RunningEmulator,
} from '../emulator/datastore.js';
import { startMemcached, type RunningMemcached } from '../emulator/memcached.js';
import { sharedNowMs } from './clock.js';

/** A service the torture run owns and may stop and start again (never the shared dev services). */
export interface RestartableService {
  readonly label: string;
  readonly port: number;
  /**
   * A restart empties it. The legacy emulator also restarts its version counter (measured: an
   * entity at version 4 before a restart was written as version 2 after it), so fencing tokens go
   * backwards: the fence starts a new epoch then. The Firestore emulator's versions are
   * microsecond timestamps and keep growing.
   */
  readonly resetsVersions: boolean;
  /** Stops it, keeps it down `downMs`, starts a fresh one (new port). Times on the shared clock. */
  restart(downMs: number): Promise<{ downAt: number; upAt: number }>;
  stop(): Promise<void>;
}

export async function ownEmulator(kind: DatastoreEmulatorKind): Promise<RestartableService> {
  let running: RunningEmulator = await startDatastoreEmulator(kind);
  return {
    label:
      kind === 'firestore' ? 'Firestore emulator (Datastore mode)' : 'legacy Datastore emulator',
    get port() {
      return running.port;
    },
    resetsVersions: kind === 'legacy',
    async restart(downMs) {
      await running.stop();
      const downAt = sharedNowMs();
      await delay(downMs);
      running = await startDatastoreEmulator(kind);
      return { downAt, upAt: sharedNowMs() };
    },
    stop: () => running.stop(),
  };
}

export async function ownMemcached(): Promise<RestartableService> {
  let running: RunningMemcached = await startMemcached();
  return {
    label: 'memcached',
    get port() {
      return running.port;
    },
    resetsVersions: false,
    async restart(downMs) {
      await running.stop();
      const downAt = sharedNowMs();
      await delay(downMs);
      running = await startMemcached();
      return { downAt, upAt: sharedNowMs() };
    },
    stop: () => running.stop(),
  };
}
