import { performance } from 'node:perf_hooks';
import type { Datastore } from '@google-cloud/datastore';
import { datastoreFromEnvironment } from '../backends/datastore/index.js';
import { fromEntityResult, lockKey } from '../backends/datastore/record.js';
import { DatastoreRpc, GRPC, grpcCode, isUnknownOutcome } from '../backends/datastore/rpc.js';
import { LockBackendError } from '../errors.js';
import { lapsedFor } from './lapsed.js';
import { messageOf } from './message.js';
import { resolveCleanup, type CleanupOptions, type CleanupResult } from './options.js';
import { forEachBounded } from './pool.js';
import { expiredQuery, hasMorePages } from './query.js';

/** What to delete: a key name, and the version the delete is conditioned on. */
interface Candidate {
  readonly name: string;
  readonly version: bigint;
}

/**
 * Deletes expired STRONG lock records. Pages through records whose indexed `expireAt` is more
 * than `graceMs` in the past and deletes each with its version as `baseVersion` (conflict
 * strategy FAIL), so a lock renewed or re-acquired after it was read is left alone. Each delete is
 * its own single-mutation commit: a multi-mutation non-transactional commit is not atomic, and
 * one failing condition would make its outcome for the others unclear.
 *
 * Idempotent, and safe to run from two places at once (a record deleted by one sweeper is a
 * conflict, counted as skipped, for the other). Stops before `deadlineMs`; the next run picks up
 * what is left (`complete: false`).
 * @example
 * const { scanned, deleted, skipped } = await cleanupLocks({ graceMs: 60_000 });
 */
export async function cleanupLocks(options?: CleanupOptions): Promise<CleanupResult> {
  const settings = resolveCleanup(options);
  const deadlineAt = performance.now() + settings.deadlineMs;
  const datastore: Datastore = settings.datastore ?? (await datastoreFromEnvironment());
  const { kindName, namespace, graceMs, signal } = settings;
  const result: CleanupResult = { scanned: 0, deleted: 0, skipped: 0, complete: false };
  let failure: unknown;
  let outOfTime = false;

  const remainingMs = (): number => deadlineAt - performance.now();
  const keepGoing = (): boolean =>
    failure === undefined && !outOfTime && !signal?.aborted && remainingMs() > 0;
  // Every request's own timeout is capped by what is left of the budget, so none outlives it.
  const rpc = (): { rpc: DatastoreRpc; capped: boolean } => {
    const budgetMs = Math.max(1, Math.floor(remainingMs()));
    return {
      rpc: new DatastoreRpc(datastore, Math.min(settings.rpcTimeoutMs, budgetMs)),
      capped: budgetMs < settings.rpcTimeoutMs,
    };
  };
  const hitDeadline = (error: unknown, capped: boolean): boolean =>
    capped && isUnknownOutcome(error) && remainingMs() <= 50;

  let started = 0;
  const deleteOne = async ({ name, version }: Candidate): Promise<void> => {
    started += 1;
    const { rpc: client, capped } = rpc();
    try {
      await client.commit({
        delete: lockKey(kindName, namespace, name),
        baseVersion: String(version),
        conflictResolutionStrategy: 'FAIL',
      });
      result.deleted += 1;
    } catch (error) {
      result.skipped += 1;
      const code = grpcCode(error);
      // FAILED_PRECONDITION: the record moved on (renewed, re-acquired) or is already gone.
      if (code === GRPC.FAILED_PRECONDITION || code === GRPC.NOT_FOUND) return;
      if (hitDeadline(error, capped)) outOfTime = true;
      else failure ??= error;
    }
  };

  const cutoffMs = Date.now() - graceMs;
  let cursor: Uint8Array | undefined;
  while (keepGoing()) {
    const { rpc: client, capped } = rpc();
    let page: Awaited<ReturnType<DatastoreRpc['runQuery']>>;
    try {
      page = await client.runQuery(
        namespace,
        expiredQuery(kindName, cutoffMs, settings.batchSize, cursor),
      );
    } catch (error) {
      if (hitDeadline(error, capped)) break;
      failure = error;
      break;
    }
    const candidates: Candidate[] = [];
    for (const entityResult of page.entityResults) {
      const stored = fromEntityResult(entityResult);
      const name = entityResult.entity?.key.path.at(-1)?.name;
      if (!stored || !name) continue;
      result.scanned += 1;
      if (lapsedFor(stored, page.readTimeMs, graceMs))
        candidates.push({ name, version: stored.version });
      else result.skipped += 1;
    }
    started = 0;
    await forEachBounded(candidates, settings.concurrency, keepGoing, deleteOne);
    // Candidates the deadline (or a failure) kept us from trying are left for the next run.
    const untried = candidates.length - started;
    result.skipped += untried;
    if (!hasMorePages(page.moreResults, page.entityResults.length, cursor, page.endCursor)) {
      result.complete = untried === 0 && failure === undefined && !outOfTime;
      break;
    }
    cursor = page.endCursor;
  }
  if (failure !== undefined) {
    throw new LockBackendError(
      `Lock cleanup of kind "${kindName}" stopped after deleting ${result.deleted} and skipping ` +
        `${result.skipped} of ${result.scanned} expired records: ${messageOf(failure)}. Records ` +
        'left in place are swept by the next run; check that Datastore is reachable ' +
        '(DATASTORE_EMULATOR_HOST, credentials, the datastore.entities.delete permission).',
      { cause: failure },
    );
  }
  return result;
}
