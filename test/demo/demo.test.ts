import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../../emulator/ports.js';
import { FakeOAuthProvider } from '../../demo/provider.js';
import { ProviderClient } from '../../demo/provider-client.js';
import { TEST_ENV } from '../support/env.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run demo`'s entry point as a user would, on the given services. */
function runDemo(args: string[], env: NodeJS.ProcessEnv): Promise<DemoRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      DATASTORE_EMULATOR_HOST: undefined,
      MEMCACHE_SERVERS: undefined,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

interface Round {
  mode: string;
  requests: number;
  providerCalls: number;
  extraRefreshes: number;
  invalidTokensServed: number;
  steals: number | null;
  fencingTokensOnlyGrew: boolean | null;
  error?: string;
}

describe('the demo (npm run demo)', () => {
  describe('run small against the test services', () => {
    let run: DemoRun;
    let report: { settings: { namespace: string }; rounds: Round[] };

    before(async function () {
      this.timeout(180_000);
      run = await runDemo(['--workers', '3', '--users', '3', '--requests', '10', '--json'], {
        DATASTORE_EMULATOR_HOST: process.env[TEST_ENV.firestore],
        MEMCACHE_SERVERS: process.env[TEST_ENV.memcache],
      });
      const lastLine = run.stdout.trim().split('\n').at(-1) ?? '';
      report = JSON.parse(lastLine);
    });

    it('exits 0 and ends its output with one JSON object: none, strong, weak', () => {
      expect(run.code, run.stderr).to.equal(0);
      expect(report.rounds.map((round) => round.mode)).to.deep.equal(['none', 'strong', 'weak']);
      for (const round of report.rounds) {
        expect(round.error, round.mode).to.equal(undefined);
        expect(round.requests, round.mode).to.equal(30);
      }
    });

    it('without a lock, instances refresh the same expired token again and again', () => {
      const unlocked = report.rounds.find((round) => round.mode === 'none')!;
      expect(unlocked.extraRefreshes).to.be.greaterThan(0);
      expect(unlocked.providerCalls).to.be.greaterThan(3);
    });

    for (const mode of ['strong', 'weak']) {
      it(`under a ${mode.toUpperCase()} lock, one refresh per expired token and no revoked token served`, () => {
        const locked = report.rounds.find((round) => round.mode === mode)!;
        expect(locked.providerCalls).to.equal(3);
        expect(locked.extraRefreshes).to.equal(0);
        expect(locked.invalidTokensServed).to.equal(0);
        expect(locked.steals).to.equal(0);
      });
    }

    it('sees STRONG fencing tokens only grow, in the order the critical sections logged them', () => {
      const strong = report.rounds.find((round) => round.mode === 'strong')!;
      expect(strong.fencingTokensOnlyGrew).to.equal(true);
    });

    it('leaves none of its worker processes running', () => {
      const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(processes).not.to.include(report.settings.namespace);
    });
  });

  it('names the emulator it cannot reach, without a stack trace', async function () {
    this.timeout(60_000);
    const host = `127.0.0.1:${await freePort()}`;
    const run = await runDemo(['--kind', 'strong'], { DATASTORE_EMULATOR_HOST: host });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`No Datastore emulator answers at ${host}`);
    expect(run.stderr).not.to.match(/^\s+at /m);
  });

  it('refuses an unknown --kind and shows its usage', async function () {
    this.timeout(60_000);
    const run = await runDemo(['--kind', 'medium'], {});
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('--kind must be strong, weak or both');
    expect(run.stderr).to.include('Usage: npm run demo');
  });
});

describe('docs/demo.md', () => {
  it('quotes only TypeScript that the demo really runs', () => {
    const page = readFileSync(`${root}docs/demo.md`, 'utf8');
    const snippets = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    const sources = readdirSync(`${root}demo`)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(`${root}demo/${name}`, 'utf8'))
      .join('\n');
    expect(snippets).to.have.length.greaterThan(0);
    for (const snippet of snippets) expect(sources).to.include(snippet);
  });
});

describe('the demo OAuth provider', () => {
  it("revokes a user's previous token on every refresh, and only that user's", async () => {
    const provider = await FakeOAuthProvider.start({ refreshDelayMs: 0 });
    try {
      const client = new ProviderClient(provider.url);
      const first = await client.getNewToken('ada');
      const other = await client.getNewToken('bob');
      const second = await client.getNewToken('ada');
      expect(await client.isValid(first.token)).to.equal(false);
      expect(await client.isValid(second.token)).to.equal(true);
      expect(await client.isValid(other.token)).to.equal(true);
      expect(provider.stats()).to.include({ refreshCalls: 3, usersRefreshed: 2 });
    } finally {
      await provider.stop();
    }
  });
});
