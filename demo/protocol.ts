/** What the parent and its worker processes tell each other over the IPC channel. */

export type RoundMode = 'none' | 'strong' | 'weak';

/** Everything a worker needs, passed as its one JSON argument. */
export interface WorkerConfig {
  readonly workerIndex: number;
  /** Requests this worker serves per round, all at once when the round starts. */
  readonly requests: number;
  readonly users: number;
  /** Lock kinds the rounds will use, warmed up before the first round. */
  readonly kinds: readonly ('strong' | 'weak')[];
  readonly datastoreHost: string;
  readonly memcacheServers: string | undefined;
  readonly projectId: string;
  /** Datastore namespace (and memcached key prefix) of this run, so runs never share state. */
  readonly namespace: string;
  readonly providerUrl: string;
}

/** Per-worker counters, summed by the parent. */
export interface WorkerStats {
  requests: number;
  failed: number;
  firstError: string | undefined;
  invalidTokensServed: number;
  acquired: number;
  /** `contended` events: an acquisition found the lock held by another process. */
  contended: number;
  stolen: number;
  totalWaitedMs: number;
  maxWaitedMs: number;
  /** Critical sections run per user id: the parent compares them with the fencing log. */
  criticalSections: Record<string, number>;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly done: number; readonly contended: number }
  | { readonly type: 'result'; readonly stats: WorkerStats };

/** `round`: serve this round's requests now. `stop`: close clients and exit. */
export type ParentMessage =
  { readonly type: 'round'; readonly mode: RoundMode } | { readonly type: 'stop' };

export function emptyStats(): WorkerStats {
  return {
    requests: 0,
    failed: 0,
    firstError: undefined,
    invalidTokensServed: 0,
    acquired: 0,
    contended: 0,
    stolen: 0,
    totalWaitedMs: 0,
    maxWaitedMs: 0,
    criticalSections: {},
  };
}
