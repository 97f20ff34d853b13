/** What a torture worker needs to know, passed as one JSON argument. */
export interface WorkerConfig {
  readonly holder: string;
  readonly backend: 'datastore' | 'memcache';
  readonly protocol: 'conditional' | 'transaction';
  /** Lock service host (usually the fault proxy): an emulator, or MEMCACHE_SERVERS. */
  readonly lockHost: string;
  /** Emulator holding the fenced resource, or null (WEAK: no fencing token to fence with). */
  readonly resourceHost: string | null;
  readonly resourceKind: string;
  readonly identifier: string;
  readonly leaseMs: number;
  readonly rpcTimeoutMs: number;
  readonly waitForMs: number;
  /** Hold times: mostly short, sometimes longer than the lease (so renewal is exercised). */
  readonly holdMs: readonly [number, number];
  readonly longHoldChance: number;
  /** Added to Date.now() in this process: the clock-skew runs. */
  readonly skewMs: number;
  readonly kindName: string;
}

/** The result of one fenced write. */
export type FencedWrite =
  | { readonly outcome: 'accepted'; readonly seq: number; readonly epoch: number }
  | { readonly outcome: 'rejected'; readonly highest: string; readonly epoch: number }
  | { readonly outcome: 'error'; readonly message: string; readonly epoch: number }
  | { readonly outcome: 'skipped' };

/** One line a worker prints on stdout (JSON). Times are on the shared clock (see clock.ts). */
export type WorkerMessage =
  | {
      readonly type: 'ready';
      readonly holder: string;
      readonly pid: number;
      readonly originOffsetMs: number;
    }
  | {
      readonly type: 'begin';
      readonly holder: string;
      readonly token: string | null;
      readonly at: number;
    }
  | {
      readonly type: 'end';
      readonly holder: string;
      readonly token: string | null;
      readonly begin: number;
      readonly end: number;
      /** held.signal aborted with a LockLostError before the section ended. */
      readonly lost: boolean;
      readonly lostAt: number | null;
      readonly write: FencedWrite;
    }
  | {
      readonly type: 'error';
      readonly holder: string;
      readonly op: 'acquire' | 'release';
      readonly at: number;
      readonly name: string;
      /** gRPC or errno code of the cause, for the unknown-outcome tally. */
      readonly causeCode: string | null;
      readonly message: string;
    }
  | { readonly type: 'hang'; readonly holder: string; readonly op: string; readonly at: number }
  | { readonly type: 'unhandled'; readonly holder: string; readonly message: string }
  | { readonly type: 'done'; readonly holder: string; readonly sections: number };

/**
 * A line the parent writes to a worker's stdin: a new fence epoch (a restarted legacy emulator),
 * or the end of the run (the worker finishes its section and exits).
 */
export interface ControlNotice {
  readonly epoch?: number;
  readonly stop?: true;
}
