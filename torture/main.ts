/**
 * `npm run torture`: worker processes contend for one lock on every backend while holders are
 * killed and paused and the services are delayed, cut, blackholed and restarted; a checker proves
 * exclusion, fencing and liveness from what they recorded. Exits 1 on any violation of a promise.
 */
import { createLocking, LOCK_KINDS } from '../src/index.js';
import { installExitHooks } from '../emulator/process-group.js';
import { parseTortureArgs } from './args.js';
import { runPhase, type PhaseResult } from './phase.js';
import { phases } from './plan.js';
import { summaryTable } from './report.js';
import { ownEmulator, ownMemcached, type RestartableService } from './services.js';

const sizes = parseTortureArgs(process.argv.slice(2));
process.env.METADATA_SERVER_DETECTION ??= 'none';
installExitHooks();
const startedAt = Date.now();
console.log(`Torture run ${JSON.stringify(sizes)}`);
console.log(
  'Starting its own Firestore emulator, legacy emulator and memcached (they get stopped and restarted)...',
);
const [firestore, legacy, memcached] = await Promise.all([
  ownEmulator('firestore'),
  ownEmulator('legacy'),
  ownMemcached(),
]);
const services = {
  firestore,
  legacy,
  memcached,
  firestoreHost: () => `127.0.0.1:${firestore.port}`,
  legacyHost: () => `127.0.0.1:${legacy.port}`,
};

async function weakAvailable(service: RestartableService): Promise<string | undefined> {
  const locking = createLocking({ memcacheServers: `127.0.0.1:${service.port}` });
  try {
    await locking.backend(LOCK_KINDS.WEAK);
    return undefined;
  } catch (error) {
    return String((error as Error).message);
  } finally {
    await locking.close();
  }
}

const results: PhaseResult[] = [];
let failed = false;
try {
  // Re-planned before each run: a restart in an earlier run moved its emulator to a new port.
  for (let index = 0; index < phases(sizes, services).length; index += 1) {
    const spec = phases(sizes, services)[index]!;
    if (sizes.only && !spec.name.toLowerCase().includes(sizes.only)) continue;
    if (spec.backend === 'memcache') {
      const missing = await weakAvailable(spec.service);
      if (missing) {
        console.log(`\n== ${spec.name}: skipped (${missing})`);
        continue;
      }
    }
    console.log(
      `\n== ${spec.name}: ${spec.workers} workers, ${spec.seconds} s, faults [${spec.faults.join(', ')}]`,
    );
    const result = await runPhase(spec);
    results.push(result);
    for (const note of result.notes) console.log(`   note: ${note}`);
    for (const violation of result.violations)
      console.log(`   VIOLATION [${violation.rule}] ${violation.detail}`);
    console.log(
      `   ${result.sections} sections, ${result.overlaps} overlaps, ${result.violations.length} violations`,
    );
    if (result.violations.length > 0) failed = true;
  }
} finally {
  await Promise.all([firestore.stop(), legacy.stop(), memcached.stop()]);
}
console.log(`\n${summaryTable(results)}\n`);
console.log(
  `${results.length} runs in ${Math.round((Date.now() - startedAt) / 1000)} s: ` +
    (failed ? 'VIOLATIONS FOUND' : 'no violations where exclusion is promised'),
);
process.exit(failed ? 1 : 0);
