import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './ports.js';
import { startGroup, type ServiceProcess } from './process-group.js';

export type DatastoreEmulatorKind = 'firestore' | 'legacy';

/** A running Datastore emulator. `host` is what DATASTORE_EMULATOR_HOST takes. */
export interface RunningEmulator {
  readonly kind: DatastoreEmulatorKind;
  readonly host: string;
  readonly port: number;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

const LAUNCHERS: Record<DatastoreEmulatorKind, string> = {
  firestore: 'cloud-firestore-emulator/cloud_firestore_emulator',
  legacy: 'cloud-datastore-emulator/cloud_datastore_emulator',
};

/** Finds the gcloud SDK: CLOUDSDK_ROOT, the folder behind `gcloud` on PATH, or the usual places. */
export function findSdkRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env.CLOUDSDK_ROOT) candidates.push(env.CLOUDSDK_ROOT);
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    const gcloud = join(folder, 'gcloud');
    if (existsSync(gcloud)) candidates.push(dirname(dirname(realpathSync(gcloud))));
  }
  candidates.push('/usr/lib/google-cloud-sdk', '/google-cloud-sdk', '/opt/google-cloud-sdk');
  return candidates.find((root) => existsSync(join(root, 'platform')));
}

export function emulatorLauncher(kind: DatastoreEmulatorKind): string {
  const root = findSdkRoot();
  const launcher = root && join(root, 'platform', LAUNCHERS[kind]);
  if (!launcher || !existsSync(launcher)) {
    const component =
      kind === 'firestore' ? 'cloud-firestore-emulator' : 'cloud-datastore-emulator';
    throw new Error(
      `The ${kind === 'firestore' ? 'Firestore' : 'legacy Datastore'} emulator was not found. ` +
        `Install the gcloud SDK and its emulator (\`gcloud components install ${component}\`, or ` +
        `\`apt-get install google-cloud-cli-${component.replace('cloud-', '')}\`), plus Java 17+; ` +
        'or set DATASTORE_EMULATOR_HOST to an emulator you run yourself.',
    );
  }
  return launcher;
}

/**
 * Starts an emulator on a free port in its own process group and waits until `GET /` answers
 * `Ok` (2 to 4 s here). The Firestore emulator runs in Datastore mode, as production does.
 */
export async function startDatastoreEmulator(
  kind: DatastoreEmulatorKind,
  { readyTimeoutMs = 60_000 }: { readyTimeoutMs?: number } = {},
): Promise<RunningEmulator> {
  const launcher = emulatorLauncher(kind);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const args =
    kind === 'firestore'
      ? ['start', '--host=127.0.0.1', `--port=${port}`, '--database-mode=datastore-mode']
      : ['start', '--host=127.0.0.1', `--port=${port}`, '--testing'];
  const logDir = mkdtempSync(join(tmpdir(), `gcp-locking-${kind}-`));
  const process = startGroup(launcher, args, join(logDir, 'emulator.log'));
  const running: RunningEmulator = { kind, host, port, process, stop: () => process.stop() };
  try {
    await waitUntilReady(host, process, readyTimeoutMs);
  } catch (error) {
    await process.stop();
    throw error;
  }
  return running;
}

/** Waits for `GET /` to answer `Ok`. */
export async function waitUntilReady(
  host: string,
  service: ServiceProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `The emulator exited early (code ${service.child.exitCode}); see ${service.logFile}.`,
      );
    }
    try {
      const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if ((await response.text()).trim() === 'Ok') return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(
    `The emulator at ${host} was not ready within ${timeoutMs} ms; see ${service.logFile}.`,
  );
}
