/**
 * The test command (`npm test`): starts the Firestore emulator in Datastore mode, the legacy
 * Datastore emulator and memcached (unless DATASTORE_EMULATOR_HOST / MEMCACHE_SERVERS point at
 * your own), runs every mocha suite against them, stops them all, and ends with one line
 * `N passed, N failed, N skipped`. Extra arguments: `--grep <pattern>`, or spec files.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Mocha from 'mocha';
import { startLocalServices } from '../emulator/services.js';
import { TEST_ENV } from './support/env.js';

const root = new URL('.', import.meta.url).pathname;

function specFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : specFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function parseArgs(argv: string[]): { grep: string | undefined; files: string[] } {
  let grep: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--grep' || argv[i] === '-g') grep = argv[++i];
    else files.push(argv[i]!);
  }
  return { grep, files };
}

const { grep, files } = parseArgs(process.argv.slice(2));
const started = Date.now();
process.env.METADATA_SERVER_DETECTION ??= 'none';
console.log(
  'Starting the Firestore emulator (Datastore mode), the legacy Datastore emulator and memcached...',
);
// Emulators a developer already runs (GCP_LOCKING_TEST_*_HOST) are reused, to save JVM start-ups.
const given = { firestore: process.env[TEST_ENV.firestore], legacy: process.env[TEST_ENV.legacy] };
const services = await startLocalServices({
  firestore: !given.firestore,
  legacy: !given.legacy,
  memcached: true,
});
process.env[TEST_ENV.firestore] = given.firestore ?? services.firestoreHost;
const legacyHost = given.legacy ?? services.legacyHost;
if (legacyHost) process.env[TEST_ENV.legacy] = legacyHost;
process.env[TEST_ENV.memcache] = services.memcacheServers;
// The library's own env var must not leak into clients built for a specific emulator.
delete process.env.DATASTORE_EMULATOR_HOST;
console.log(
  `Services ready in ${Date.now() - started} ms: firestore=${process.env[TEST_ENV.firestore]} ` +
    `legacy=${legacyHost ?? '(skipped: DATASTORE_EMULATOR_HOST given)'} memcached=${services.memcacheServers}`,
);

const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', ...(grep ? { grep } : {}) });
const chosen =
  files.length > 0
    ? files.flatMap((file) => {
        const path = join(process.cwd(), file);
        return statSync(path).isDirectory() ? specFiles(path).sort() : [path];
      })
    : specFiles(root).sort();
for (const file of chosen) mocha.addFile(file);

let exitCode = 1;
try {
  await mocha.loadFilesAsync();
  const stats = await new Promise<{ passes: number; failures: number; pending: number }>(
    (resolve) => {
      const runner = mocha.run(() =>
        resolve(runner.stats ?? { passes: 0, failures: 1, pending: 0 }),
      );
    },
  );
  exitCode = stats.failures > 0 ? 1 : 0;
  await services.stop();
  console.log(
    `\nTest files: ${chosen.map((file) => relative(process.cwd(), file)).length}, ${Math.round((Date.now() - started) / 1000)} s in all.`,
  );
  console.log(`${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped`);
} catch (error) {
  console.error(error);
  await services.stop();
  console.log('0 passed, 1 failed, 0 skipped');
}
process.exit(exitCode);
