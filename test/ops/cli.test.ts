import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { TEST_PROJECT } from '../support/env.js';
import { datastoreFor, lockingFor } from '../support/targets.js';
import { emulators } from './support/emulators.js';
import { storedIdentifiers, uniqueKind, writeAbandonedRecords } from './support/records.js';

const root = new URL('../../', import.meta.url).pathname;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as `npx gcp-locking ...` would run its build. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the gcp-locking CLI', () => {
  it('answers bad arguments with the usage and exit code 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['show'],
      ['list', '--colour'],
      ['list', 'extra'],
      ['cleanup', '--grace-ms', 'soon'],
    ]) {
      const ran = await cli(args);
      expect(ran.code, args.join(' ')).to.equal(2);
      expect(ran.stderr, args.join(' ')).to.match(
        /^gcp-locking: .+\n\nUsage: gcp-locking <command>/,
      );
    }
  });

  it('prints its usage for --help', async () => {
    const ran = await cli(['--help']);
    expect(ran.code).to.equal(0);
    expect(ran.stdout).to.match(/release <identifier> --force/);
  });

  it('fails within a bounded time when Datastore cannot be reached', async () => {
    const startedAt = performance.now();
    const ran = await cli(['list', '--timeout-ms', '1500'], {
      DATASTORE_EMULATOR_HOST: '127.0.0.1:9',
      DATASTORE_PROJECT_ID: TEST_PROJECT,
    });
    expect(ran.code).to.equal(1);
    expect(ran.stderr).to.match(/list failed: .*\nCheck DATASTORE_EMULATOR_HOST/s);
    expect(performance.now() - startedAt).to.be.below(1500 * 3 + 10_000); // startup + its own bound
  });
});

for (const [label, host] of emulators()) {
  describe(`the gcp-locking CLI on the ${label}`, function () {
    this.timeout(60_000);
    const datastore = datastoreFor(host);
    const env = { DATASTORE_EMULATOR_HOST: host, DATASTORE_PROJECT_ID: TEST_PROJECT };

    it('lists held locks with their age, lease left and fencing token', async () => {
      const kindName = uniqueKind('Cli');
      const locking = lockingFor({ backend: 'datastore', host }, { kindName });
      const a = await locking.acquireOrThrow('invoices:2024-06', {
        leaseMs: 60_000,
        autoRenew: false,
      });
      const b = await locking.acquireOrThrow('oauth:42', { leaseMs: 60_000, autoRenew: false });
      await writeAbandonedRecords(datastore, kindName, 2, { prefix: 'crashed' });

      const table = await cli(['list', '--kind-name', kindName], env);
      expect(table.code, table.stderr).to.equal(0);
      const lines = table.stdout.trim().split('\n');
      expect(lines[0]).to.match(/^IDENTIFIER\s+AGE\s+LEASE LEFT\s+FENCING TOKEN$/);
      expect(table.stdout).to.match(new RegExp(`invoices:2024-06 .* ${a.fencingToken}\\n`));
      expect(table.stdout).to.match(new RegExp(`oauth:42 .* ${b.fencingToken}\\n`));
      expect(table.stdout).to.not.match(/crashed:/);
      expect(lines.at(-1)).to.equal(
        '2 expired record(s) not shown (--all shows them; cleanup deletes them).',
      );

      const json = await cli(['list', '--json', `--kind-name=${kindName}`], env);
      const listed = JSON.parse(json.stdout) as {
        identifier: string;
        fencingToken: string;
        leaseLeftMs: number;
      }[];
      expect(listed.map((lock) => lock.identifier).sort()).to.deep.equal([
        'invoices:2024-06',
        'oauth:42',
      ]);
      const invoices = listed.find((lock) => lock.identifier === 'invoices:2024-06')!;
      expect(invoices.fencingToken).to.equal(String(a.fencingToken));
      expect(invoices.leaseLeftMs).to.be.within(1, 60_000);
      await Promise.all([a.release(), b.release()]);
      await locking.close();
    });

    it('shows one lock, and says so when there is none', async () => {
      const kindName = uniqueKind('Cli');
      const locking = lockingFor({ backend: 'datastore', host }, { kindName });
      const held = await locking.acquireOrThrow('report:weekly', {
        leaseMs: 30_000,
        autoRenew: false,
      });
      const shown = await cli(['show', 'report:weekly', '--kind-name', kindName], env);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.match(/identifier: +report:weekly\n/);
      expect(shown.stdout).to.match(/state: +held\n/);
      expect(shown.stdout).to.include(`fencing token:  ${held.fencingToken}`);
      const missing = await cli(['show', 'report:daily', '--kind-name', kindName], env);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(
        /No lock record for "report:daily" in kind Ops\w+, the default namespace/,
      );
      await held.release();
      await locking.close();
    });

    it('releases only with --force, saying what it deleted; the holder then deletes nothing', async () => {
      const kindName = uniqueKind('Cli');
      const locking = lockingFor({ backend: 'datastore', host }, { kindName });
      const held = await locking.acquireOrThrow('stuck-job', { leaseMs: 60_000, autoRenew: false });

      const refused = await cli(['release', 'stuck-job', '--kind-name', kindName], env);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.match(/--force/);
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal(['stuck-job']);

      const forced = await cli(['release', 'stuck-job', '--force', '--kind-name', kindName], env);
      expect(forced.code, forced.stderr).to.equal(0);
      expect(forced.stdout).to.match(
        new RegExp(
          `^Deleted the lock record "stuck-job" \\(key [0-9a-f]{64}, fencing token ${held.fencingToken},`,
        ),
      );
      expect(await storedIdentifiers(datastore, kindName)).to.deep.equal([]);
      expect(await held.release(), "the old holder's release").to.equal(false);
      await locking.close();
    });

    it('cleans up expired records in a namespace', async () => {
      const kindName = uniqueKind('Cli');
      await writeAbandonedRecords(datastore, kindName, 12, { namespace: 'tools' });
      const ran = await cli(
        ['cleanup', '--kind-name', kindName, '--namespace', 'tools', '--grace-ms', '0'],
        env,
      );
      expect(ran.code, ran.stderr).to.equal(0);
      expect(ran.stdout.trim()).to.equal('Scanned 12 expired record(s): deleted 12, skipped 0.');
      expect(await storedIdentifiers(datastore, kindName, 'tools')).to.deep.equal([]);
    });
  });
}
