#!/usr/bin/env node
/**
 * `gcp-locking`: inspect and manage STRONG lock records (list, show, release, cleanup).
 * Exit codes: 0 done, 1 failed (not found, Datastore unreachable or refusing), 2 bad arguments.
 */
import { datastoreFromEnvironment } from '../backends/datastore/index.js';
import { messageOf } from '../cleanup/message.js';
import { parseArgs, USAGE, UsageError, type CliArgs } from './args.js';
import { run, type Outcome } from './commands.js';

async function main(argv: readonly string[]): Promise<Outcome> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError)
      return { code: 2, stderr: `gcp-locking: ${error.message}\n\n${USAGE}` };
    throw error;
  }
  if (args.command === 'help') return { code: 0, stdout: USAGE };
  if (args.command === 'release' && !args.force) {
    return {
      code: 2,
      stderr:
        `gcp-locking: release deletes the lock "${args.identifier}" whoever holds it; its holder ` +
        'loses the lock. Run it again with --force to do that.',
    };
  }
  // A hard bound on the whole command: credential discovery or a dead endpoint must not hang it.
  const budgetMs = Math.max(args.timeoutMs * 3, (args.deadlineMs ?? 0) + args.timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          code: 1,
          stderr: `gcp-locking: Datastore did not answer within ${budgetMs} ms. ${HINT}`,
        }),
      budgetMs,
    );
  });
  try {
    const work = datastoreFromEnvironment().then((datastore) => run(args, datastore));
    return await Promise.race([work, gaveUp]);
  } catch (error) {
    return { code: 1, stderr: `gcp-locking: ${args.command} failed: ${messageOf(error)}\n${HINT}` };
  } finally {
    clearTimeout(timer);
  }
}

const HINT =
  'Check DATASTORE_EMULATOR_HOST (emulator) or DATASTORE_PROJECT_ID / GOOGLE_CLOUD_PROJECT and ' +
  'Application Default Credentials (`gcloud auth application-default login`).';

const outcome = await main(process.argv.slice(2)).catch((error: unknown): Outcome => ({
  code: 1,
  stderr: `gcp-locking: ${messageOf(error)}`,
}));
if (outcome.stdout !== undefined) process.stdout.write(outcome.stdout + '\n');
if (outcome.stderr !== undefined) process.stderr.write(outcome.stderr + '\n');
// Datastore's gRPC channels would keep the process alive; leave once the output is flushed.
process.stdout.write('', () => process.exit(outcome.code));
