import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../../emulator/ports.js';
import { killGroup } from '../../../emulator/process-group.js';

const root = new URL('../../../', import.meta.url).pathname;
// The package's `exports` hide its bin; its main entry sits next to it.
const functionsFramework = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);

export interface Served {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Serves `functions/index.ts` under the real Functions Framework in its own process group (run
 * through tsx, so no build is needed), with `env` on top of this process's environment.
 */
export async function serveFunction(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      functionsFramework,
      `--source=${root}functions/index.ts`,
      '--target=cleanupLocks',
      '--signature-type=http',
      `--port=${port}`,
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', NODE_ENV: 'test', ...env },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await untilListening(port, child, () => output);
  return { url: `http://127.0.0.1:${port}/`, output: () => output, stop: () => killGroup(child) };
}

async function untilListening(
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`functions-framework exited early: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(100);
  }
  await killGroup(child);
  throw new Error(`functions-framework did not listen on ${port} within 60 s: ${output()}`);
}

/** Serves `handler` from a plain node:http server on a free port. */
export async function serveHandler(
  handler: RequestListener | ((req: any, res: any) => unknown),
): Promise<Served> {
  const server: Server = createServer(handler as RequestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return listening(server);
}

export function listening(server: Server): Served {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    output: () => '',
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A request, with the JSON body parsed. */
export async function call(
  url: string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { method, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text, the assertion will show it.
  }
  return { status: response.status, headers: response.headers, body };
}
