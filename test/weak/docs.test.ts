/**
 * docs/weak.md's TypeScript examples are compiled and run here against memcached, until the lead
 * merges them into the README (whose own test then takes over).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sharedMemcache } from './support.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const folder = join(root, '.tmp', 'weak-doc-examples');

describe('docs/weak.md examples', () => {
  const blocks = [
    ...readFileSync(join(root, 'docs', 'weak.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g),
  ].map((match) => match[1]!);
  const files: string[] = [];

  before(() => {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    blocks.forEach((block, index) => {
      const file = join(folder, `example-${index + 1}.ts`);
      writeFileSync(
        file,
        block.replaceAll("from 'gcp-locking'", `from '${join(root, 'src', 'index.js')}'`),
      );
      files.push(file);
    });
    writeFileSync(
      join(folder, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { rootDir: '../..', noEmit: true },
        include: ['*.ts'],
      }),
    );
  });

  it('has examples to check', () => {
    expect(blocks.length).to.be.at.least(3);
  });

  it('compiles every example with the strict settings of the project', async function () {
    this.timeout(120_000);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(folder, 'tsconfig.json')]).catch(
      (error: { stdout: string }) => {
        throw new Error(`docs/weak.md examples do not compile:\n${error.stdout}`);
      },
    );
  });

  it('runs every example to completion, and each exits by itself', async function () {
    this.timeout(120_000);
    for (const file of files) {
      await run(process.execPath, ['--import', 'tsx', file], {
        cwd: root,
        timeout: 30_000,
        env: { ...process.env, MEMCACHE_SERVERS: sharedMemcache() },
      }).catch((error: { stderr: string }) => {
        throw new Error(`${file} failed:\n${error.stderr}`);
      });
    }
  });
});
