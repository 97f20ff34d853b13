import type { ContentionRun, ContentionSetup } from './contention.js';
import type { ScaleResult } from './scale.js';
import type { UncontendedResult } from './uncontended.js';

/** Everything one run measured: what `--json` prints and what the table and chart are drawn from. */
export interface BenchResult {
  readonly startedAt: string;
  readonly command: string;
  readonly quick: boolean;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly loadAverageAtStart: number[];
  };
  readonly contentionSetup: ContentionSetup & { readonly rounds: number };
  readonly uncontended: UncontendedResult[];
  readonly contention: ContentionRun[];
  readonly scale: ScaleResult;
  readonly targets: TargetVerdict[];
  readonly durationMs: number;
}

export interface TargetVerdict {
  readonly target: string;
  readonly figure: string;
  /** `null`: not measured in this run (say, `--quick` skips datastore-lock's contention). */
  readonly met: boolean | null;
  readonly why: string;
}

export const SERVICE_LABELS: Readonly<Record<string, string>> = {
  firestore: 'Firestore emulator (Datastore mode)',
  legacy: 'legacy Datastore emulator',
  memcached: 'memcached',
};
