/** Clear words for the ways the demo's services can be missing or unreachable. */
import { execFileSync } from 'node:child_process';

/** The harness's own messages already say what to install; this adds what they cannot see. */
export function explainStartFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/emulator exited early/.test(message)) {
    return javaRuns()
      ? `${message}\nThe log file named above says why.`
      : `${message}\nJava was not found: the emulator needs Java 17 or newer on PATH ` +
          '(Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`, macOS: `brew install openjdk@17`).';
  }
  if (/memcached/.test(message)) {
    return `${message}\nOr leave the WEAK round out: npm run demo -- --kind strong`;
  }
  return message;
}

function javaRuns(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A Datastore emulator answers `GET /` with `Ok`; anything else is named plainly. */
export async function checkEmulator(host: string): Promise<void> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(5000) });
    if ((await response.text()).trim() === 'Ok') return;
  } catch {
    // fall through to the message
  }
  throw new Error(
    `No Datastore emulator answers at ${host}` +
      (process.env.DATASTORE_EMULATOR_HOST ? ' (DATASTORE_EMULATOR_HOST)' : '') +
      '. Start one (`gcloud emulators firestore start --database-mode=datastore-mode`) or unset ' +
      'DATASTORE_EMULATOR_HOST to let the demo start its own.',
  );
}
