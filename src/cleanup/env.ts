import type { CleanupOptions } from './options.js';

/**
 * Environment variables the cleanup tools read (the function, the App Engine handler, the CLI),
 * next to the library's own DATASTORE_EMULATOR_HOST, DATASTORE_PROJECT_ID and GOOGLE_CLOUD_PROJECT.
 */
export const CLEANUP_ENV = Object.freeze({
  kindName: 'GCP_LOCKING_KIND_NAME',
  namespace: 'GCP_LOCKING_NAMESPACE',
  graceMs: 'CLEANUP_GRACE_MS',
  batchSize: 'CLEANUP_BATCH_SIZE',
  deadlineMs: 'CLEANUP_DEADLINE_MS',
  audience: 'CLEANUP_EXPECTED_AUDIENCE',
  allowedInvokers: 'CLEANUP_ALLOWED_INVOKERS',
});

/** Cleanup options from the environment; unset variables are left out (defaults apply). */
export function cleanupOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CleanupOptions {
  const options: CleanupOptions = {};
  const kindName = env[CLEANUP_ENV.kindName];
  if (kindName) options.kindName = kindName;
  const namespace = env[CLEANUP_ENV.namespace];
  if (namespace) options.namespace = namespace;
  const graceMs = numberFrom(env, CLEANUP_ENV.graceMs);
  if (graceMs !== undefined) options.graceMs = graceMs;
  const batchSize = numberFrom(env, CLEANUP_ENV.batchSize);
  if (batchSize !== undefined) options.batchSize = batchSize;
  const deadlineMs = numberFrom(env, CLEANUP_ENV.deadlineMs);
  if (deadlineMs !== undefined) options.deadlineMs = deadlineMs;
  return options;
}

function numberFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new TypeError(
      `Environment variable ${name} must be a number, got ${JSON.stringify(text)}.`,
    );
  }
  return value;
}
