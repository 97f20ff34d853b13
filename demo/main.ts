/**
 * `npm run demo`: several app instances refresh users' OAuth tokens at once, first without a
 * lock, then under STRONG and WEAK locks, against a fake OAuth provider that revokes a user's
 * previous token on every refresh. See docs/demo.md.
 */
import { startLocalServices, type LocalServices } from '../emulator/services.js';
import { parseDemoOptions, USAGE, type DemoOptions } from './options.js';
import { ProgressLine, resultsTable, verdict } from './report.js';
import { runDemo } from './run.js';
import { checkEmulator, explainStartFailure } from './services-check.js';

async function main(argv: readonly string[]): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoOptions(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const startedAt = Date.now();
  const needsMemcached = options.rounds.includes('weak');
  console.log(
    `${options.workers} app instances, ${options.requests} concurrent requests each, share ` +
      `${options.users} users whose OAuth tokens have just expired. ` +
      `Rounds: ${options.rounds.join(', ')}.`,
  );
  const ownServices =
    process.env.DATASTORE_EMULATOR_HOST && (!needsMemcached || process.env.MEMCACHE_SERVERS);
  console.log(
    ownServices
      ? 'Using the services named by DATASTORE_EMULATOR_HOST / MEMCACHE_SERVERS.'
      : `Starting the Firestore emulator (Datastore mode)${needsMemcached ? ' and memcached' : ''}...`,
  );
  let services: LocalServices;
  try {
    services = await startLocalServices({ firestore: true, memcached: needsMemcached });
  } catch (error) {
    console.error(`\nThe demo cannot start its services.\n${explainStartFailure(error)}`);
    return 1;
  }
  try {
    const datastoreHost = services.firestoreHost!;
    await checkEmulator(datastoreHost);
    console.log(
      `Services ready in ${seconds(Date.now() - startedAt)} s: Datastore at ${datastoreHost}` +
        (needsMemcached ? `, memcached at ${services.memcacheServers}` : '') +
        '. Starting the app instances...\n',
    );
    const { namespace, rounds } = await runDemo(options, {
      datastoreHost,
      memcacheServers: services.memcacheServers,
      progress: new ProgressLine(process.stdout),
    });
    console.log(`\n${resultsTable(rounds)}\n`);
    for (const line of verdict(rounds)) console.log(line);
    console.log(`\nDone in ${seconds(Date.now() - startedAt)} s.`);
    if (options.json) {
      const { workers, users, requests } = options;
      console.log(JSON.stringify({ settings: { workers, users, requests, namespace }, rounds }));
    }
    return rounds.some((round) => round.error) ? 1 : 0;
  } catch (error) {
    console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await services.stop();
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

// Exit explicitly: idle keep-alive sockets and gRPC timers would hold the process for seconds.
process.exit(await main(process.argv.slice(2)));
