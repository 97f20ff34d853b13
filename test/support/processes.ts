import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Runs a fixture under tsx in a child process, with a JSON argument. */
export function spawnFixture(name: string, argument: unknown): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', `${fixtures}${name}`, JSON.stringify(argument)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    },
  );
}

/** Resolves when the child exits with code 0; rejects with its stderr otherwise. */
export function exited(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code ?? signal}: ${stderr}`)),
    );
  });
}

/** Resolves when the child prints a line starting with `prefix`; that line is the value. */
export function lineStartingWith(
  child: ChildProcess,
  prefix: string,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${prefix}" line within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => candidate.startsWith(prefix));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before "${prefix}": ${stderr}`));
    });
  });
}
