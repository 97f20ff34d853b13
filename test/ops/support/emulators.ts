import { TEST_ENV } from '../../support/env.js';

/** The emulators this run has, as [label, host] pairs (both, when `npm test` started them). */
export function emulators(env: NodeJS.ProcessEnv = process.env): [string, string][] {
  const list: [string, string][] = [];
  if (env[TEST_ENV.firestore])
    list.push(['Firestore emulator (Datastore mode)', env[TEST_ENV.firestore]!]);
  if (env[TEST_ENV.legacy]) list.push(['legacy Datastore emulator', env[TEST_ENV.legacy]!]);
  return list;
}
