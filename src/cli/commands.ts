import type { Datastore } from '@google-cloud/datastore';
import { lockKey } from '../backends/datastore/record.js';
import { DatastoreRpc, GRPC, grpcCode } from '../backends/datastore/rpc.js';
import { cleanupLocks } from '../cleanup/sweep.js';
import { cleanupOptionsFromEnv } from '../cleanup/env.js';
import type { CliArgs } from './args.js';
import { duration, locksTable, printable, recordDetails } from './format.js';
import { readAllRecords, readRecord } from './records.js';

/** What a command prints, and the exit code. */
export interface Outcome {
  readonly code: 0 | 1 | 2;
  readonly stdout?: string;
  readonly stderr?: string;
}

export async function run(args: CliArgs, datastore: Datastore): Promise<Outcome> {
  const rpc = new DatastoreRpc(datastore, args.timeoutMs);
  const where = { kindName: args.kindName, namespace: args.namespace };
  switch (args.command) {
    case 'list': {
      const views = await readAllRecords(rpc, where);
      const shown = args.all ? views : views.filter((view) => !view.expired);
      if (args.json) return { code: 0, stdout: JSON.stringify(shown, null, 2) };
      const hidden = views.length - shown.length;
      const footer =
        hidden > 0
          ? `\n${hidden} expired record(s) not shown (--all shows them; cleanup deletes them).`
          : '';
      if (shown.length === 0)
        return { code: 0, stdout: `No held locks in kind ${args.kindName}.${footer}` };
      return { code: 0, stdout: locksTable(shown) + footer };
    }
    case 'show': {
      const found = await readRecord(rpc, where, args.identifier!);
      if (!found) return notFound(args);
      const { view } = found;
      return {
        code: 0,
        stdout: args.json
          ? JSON.stringify(view, null, 2)
          : recordDetails(view, args.kindName, args.namespace),
      };
    }
    case 'release': {
      const found = await readRecord(rpc, where, args.identifier!);
      if (!found) return notFound(args);
      const { view, version } = found;
      try {
        // Conditioned on the version just shown: a lock re-acquired meanwhile is not deleted.
        await rpc.commit({
          delete: lockKey(args.kindName, args.namespace, view.key),
          baseVersion: String(version),
          conflictResolutionStrategy: 'FAIL',
        });
      } catch (error) {
        const code = grpcCode(error);
        if (code !== GRPC.FAILED_PRECONDITION && code !== GRPC.NOT_FOUND) throw error;
        return {
          code: 1,
          stderr: `The lock "${printable(view.identifier)}" changed while it was being released (renewed, re-acquired or released); nothing was deleted. Run show and try again.`,
        };
      }
      if (args.json) return { code: 0, stdout: JSON.stringify({ deleted: view }, null, 2) };
      return {
        code: 0,
        stdout:
          `Deleted the lock record "${printable(view.identifier)}" (key ${view.key}, fencing token ` +
          `${view.fencingToken}, acquired ${duration(view.ageMs)} ago, lease ${view.expired ? 'already expired' : `${duration(view.leaseLeftMs)} left`}).\n` +
          'Its holder, if still running, loses the lock at its next renewal (held.signal aborts with LockLostError).',
      };
    }
    case 'cleanup': {
      const result = await cleanupLocks({
        ...cleanupOptionsFromEnv(),
        datastore,
        ...where,
        rpcTimeoutMs: args.timeoutMs,
        ...(args.graceMs !== undefined ? { graceMs: args.graceMs } : {}),
        ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}),
        ...(args.deadlineMs !== undefined ? { deadlineMs: args.deadlineMs } : {}),
      });
      if (args.json) return { code: 0, stdout: JSON.stringify(result) };
      return {
        code: 0,
        stdout:
          `Scanned ${result.scanned} expired record(s): deleted ${result.deleted}, skipped ${result.skipped}.` +
          (result.complete ? '' : ' Stopped at the deadline; run it again to finish.'),
      };
    }
  }
  return { code: 2 };
}

function notFound(args: CliArgs): Outcome {
  const namespace =
    args.namespace === '' ? 'the default namespace' : `namespace "${args.namespace}"`;
  return {
    code: 1,
    stderr: `No lock record for "${printable(args.identifier!)}" in kind ${args.kindName}, ${namespace}: it is not held.`,
  };
}
