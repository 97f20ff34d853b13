import { cleanupLocks } from './cleanup/sweep.js';
import { cleanupOptionsFromEnv } from './cleanup/env.js';
import { checkOidcCaller, type CallerVerdict, type OidcCallerOptions } from './cleanup/oidc.js';
import type { CleanupOptions } from './cleanup/options.js';
import { messageOf } from './cleanup/message.js';

/** The part of a request the handler reads: Node's `IncomingMessage` and Express's `Request` fit. */
export interface CleanupRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The part of a response the handler writes: Node's `ServerResponse` and Express's `Response` fit. */
export interface CleanupResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** Options of {@link cleanupLocksHandler}: cleanup options, and who may call. */
export interface CleanupHandlerOptions extends CleanupOptions {
  /**
   * Who may trigger the sweep.
   * - `'appengine-cron'`: only requests carrying `X-Appengine-Cron: true`. App Engine strips that
   *   header from outside requests, so on App Engine only its cron service can send it; anywhere
   *   else anyone can, and the check means nothing.
   * - `'oidc'`: when an audience is configured (`CLEANUP_EXPECTED_AUDIENCE`), a valid Google ID
   *   token for it, optionally from an allowed invoker (`CLEANUP_ALLOWED_INVOKERS`); for Cloud
   *   Functions / Cloud Run behind IAM, called by Cloud Scheduler.
   * @default 'appengine-cron'
   */
  caller?: 'appengine-cron' | 'oidc';
  /** Settings of the `'oidc'` check (default: from the environment). */
  oidc?: OidcCallerOptions;
}

/**
 * A `(req, res)` handler that runs {@link cleanupLocks} and answers JSON: 200 with
 * `{scanned, deleted, skipped, complete}`, 403/401 for a caller it refuses, 500 with
 * `{error}` when the sweep fails. Works with `node:http`, Express and the Functions Framework;
 * it answers asynchronously and never throws.
 * Options not given are read from the environment (GCP_LOCKING_KIND_NAME, GCP_LOCKING_NAMESPACE,
 * CLEANUP_GRACE_MS, CLEANUP_BATCH_SIZE, CLEANUP_DEADLINE_MS) on each request.
 * @example
 * app.get('/_cron/gcp-locking/cleanup', cleanupLocksHandler());
 */
export function cleanupLocksHandler(
  options: CleanupHandlerOptions = {},
): (req: CleanupRequest, res: CleanupResponse) => void {
  const { caller = 'appengine-cron', oidc = {}, ...cleanup } = options;
  if (caller !== 'appengine-cron' && caller !== 'oidc') {
    throw new TypeError(
      `Option "caller" must be 'appengine-cron' or 'oidc', got ${String(caller)}.`,
    );
  }
  const handle = async (req: CleanupRequest, res: CleanupResponse): Promise<void> => {
    try {
      const verdict = await checkCaller(caller, req, oidc);
      if (!verdict.ok) {
        if (verdict.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
        return send(res, verdict.status, { error: verdict.message });
      }
      const result = await cleanupLocks({ ...cleanupOptionsFromEnv(), ...cleanup });
      send(res, 200, result);
    } catch (error) {
      send(res, 500, {
        error: `Lock cleanup failed: ${messageOf(error)}`,
      });
    }
  };
  // node:http and Express ignore a handler's promise: this one answers every outcome itself,
  // and returns nothing, so it type-checks as a plain listener.
  return (req, res) => void handle(req, res);
}

function checkCaller(
  caller: 'appengine-cron' | 'oidc',
  req: CleanupRequest,
  oidc: OidcCallerOptions,
): Promise<CallerVerdict> | CallerVerdict {
  if (caller === 'oidc') return checkOidcCaller(header(req, 'authorization'), oidc);
  if (header(req, 'x-appengine-cron') === 'true') return { ok: true };
  return {
    ok: false,
    status: 403,
    message: 'Only App Engine cron may call this endpoint (X-Appengine-Cron: true).',
  };
}

function header(req: CleanupRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: CleanupResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}
