/** Clear words for the ways the demo's services can be missing or unreachable. */

/** The harness's own messages already say what to install; this adds what they cannot see. */
export function explainStartFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/emulator exited early/.test(message)) {
    return (
      `${message}\nThe emulator needs Java 17 or newer on PATH (Debian/Ubuntu: ` +
      '`apt-get install -y openjdk-17-jre-headless`); its log above says what went wrong.'
    );
  }
  return message;
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
