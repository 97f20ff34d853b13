import type { Datastore } from '@google-cloud/datastore';
import { DatastoreRpc, grpcCode, GRPC, toBigInt, type Key } from '../src/backends/datastore/rpc.js';
import type { FencedWrite } from './messages.js';

/**
 * The protected resource of the exclusion checker: one Datastore entity that accepts a write only
 * when its fencing token is higher than every token it has accepted before.
 *
 * It is itself safe under concurrency: read (token, seq, version), then commit an update (or an
 * insert) conditioned on that version with conflict strategy FAIL; a lost race re-reads. So two
 * writers can never both move it from the same state, and `seq` counts accepted writes exactly.
 */
export class FencedResource {
  readonly #rpc: DatastoreRpc;
  readonly #kind: string;

  constructor(datastore: Datastore, kind: string, timeoutMs = 10_000) {
    this.#rpc = new DatastoreRpc(datastore, timeoutMs);
    this.#kind = kind;
  }

  key(epoch: number): Key {
    return {
      partitionId: { namespaceId: '' },
      path: [{ kind: this.#kind, name: `fence-${epoch}` }],
    };
  }

  /** Writes on behalf of `holder` carrying `token`; never throws. */
  async write(token: bigint, holder: string, epoch: number): Promise<FencedWrite> {
    const key = this.key(epoch);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        const current = await this.read(epoch);
        if (current && token <= current.highest) {
          return { outcome: 'rejected', highest: String(current.highest), epoch };
        }
        const seq = (current?.seq ?? 0) + 1;
        const entity = {
          key,
          properties: {
            highest: { stringValue: String(token) },
            seq: { integerValue: String(seq) },
            writer: { stringValue: holder },
          },
        };
        await this.#rpc.commit(
          current
            ? {
                update: entity,
                baseVersion: String(current.version),
                conflictResolutionStrategy: 'FAIL',
              }
            : { insert: entity },
        );
        return { outcome: 'accepted', seq, epoch };
      } catch (error) {
        const code = grpcCode(error);
        // Another writer moved it first (or created it): read again and re-judge.
        if (
          code === GRPC.FAILED_PRECONDITION ||
          code === GRPC.ALREADY_EXISTS ||
          code === GRPC.ABORTED
        )
          continue;
        return { outcome: 'error', message: String(error), epoch };
      }
    }
    return { outcome: 'error', message: 'gave up after 50 conflicting attempts', epoch };
  }

  /** The fence's state, or undefined before its first write. */
  async read(
    epoch: number,
  ): Promise<{ highest: bigint; seq: number; version: bigint } | undefined> {
    const { found } = await this.#rpc.lookup(this.key(epoch));
    const properties = found?.entity?.properties;
    if (!found || !properties || Object.keys(properties).length === 0) return undefined;
    return {
      highest: BigInt(properties.highest?.stringValue ?? '0'),
      seq: Number(properties.seq?.integerValue ?? 0),
      version: toBigInt(found.version),
    };
  }
}
