import type { FencedWrite } from './messages.js';

/** One critical section as the checker sees it. Times are on the shared clock (clock.ts). */
export interface Section {
  readonly holder: string;
  /** Fencing token (decimal), null for WEAK. */
  readonly token: string | null;
  readonly begin: number;
  /** When it ended; for a holder killed inside it, the instant of the SIGKILL. */
  readonly end: number;
  readonly killed: boolean;
  /** The holder's process was stopped (SIGSTOP) for longer than its lease during the section. */
  readonly paused: boolean;
  /** held.signal aborted with LockLostError; when. */
  readonly lostAt: number | null;
  readonly write: FencedWrite;
  /** The fence/token epoch: a restart that resets the service's version counter starts a new one. */
  readonly epoch: number;
}

export interface CheckInput {
  readonly sections: readonly Section[];
  /** Accepted-write count each fence holds at the end, by epoch (fenced runs only). */
  readonly fenceSeqByEpoch: ReadonlyMap<number, number>;
  readonly fenced: boolean;
  /**
   * How long after the next holder was admitted a holder may still learn it lost the lock (timer
   * latency of a busy machine). Only for holders that were not paused.
   */
  readonly lostToleranceMs: number;
}

export interface Finding {
  readonly rule: string;
  readonly detail: string;
}

export interface CheckResult {
  readonly violations: Finding[];
  readonly lateWritesRejected: number;
  readonly lateWritesAccepted: number;
  readonly overlapsExcused: number;
}

/**
 * Proves, from the sections of one run: (1) no two admitted sections overlapped, except where the
 * earlier holder lost the lock (paused past its lease, or told through its signal no later than
 * the next admission); (2) fencing tokens grew strictly in admission order; (3) the fence
 * accepted writes in strictly increasing token order with no gap or duplicate, accepted every
 * write of a holder that had not lost its lock, and rejected only tokens below its highest.
 */
export function checkSections(input: CheckInput): CheckResult {
  const violations: Finding[] = [];
  const sections = [...input.sections].sort((a, b) => a.begin - b.begin);
  let overlapsExcused = 0;

  for (let i = 0; i < sections.length; i += 1) {
    const first = sections[i]!;
    for (let j = i + 1; j < sections.length && sections[j]!.begin < first.end; j += 1) {
      const next = sections[j]!;
      const toldInTime =
        first.lostAt !== null && first.lostAt <= next.begin + input.lostToleranceMs;
      if (first.paused || toldInTime) {
        overlapsExcused += 1;
        continue;
      }
      violations.push({
        rule: 'exclusion',
        detail:
          `${next.holder} (token ${next.token}) was admitted at ${fmt(next.begin)} while ${first.holder} ` +
          `(token ${first.token}) held the lock ${fmt(first.begin)}..${fmt(first.end)}` +
          (first.lostAt === null
            ? ' and never lost it'
            : `; it learned it lost it only at ${fmt(first.lostAt)}`),
      });
    }
  }

  let lateWritesRejected = 0;
  let lateWritesAccepted = 0;
  if (input.fenced) {
    const epochs = new Set(sections.map((s) => s.epoch));
    for (const epoch of epochs) {
      const inEpoch = sections.filter((s) => s.epoch === epoch);
      checkTokenOrder(inEpoch, violations);
      const counts = checkFence(inEpoch, input.fenceSeqByEpoch.get(epoch) ?? 0, epoch, violations);
      lateWritesRejected += counts.rejected;
      lateWritesAccepted += counts.lateAccepted;
    }
  }
  return { violations, lateWritesRejected, lateWritesAccepted, overlapsExcused };
}

function checkTokenOrder(sections: readonly Section[], violations: Finding[]): void {
  let previous: Section | undefined;
  for (const section of sections) {
    if (section.token === null) continue;
    if (previous && BigInt(section.token) <= BigInt(previous.token!)) {
      violations.push({
        rule: 'token order',
        detail:
          `${section.holder} was admitted at ${fmt(section.begin)} with token ${section.token}, not above ` +
          `${previous.token} of ${previous.holder} admitted before it at ${fmt(previous.begin)}`,
      });
    }
    previous = section;
  }
}

function checkFence(
  sections: readonly Section[],
  finalSeq: number,
  epoch: number,
  violations: Finding[],
): { rejected: number; lateAccepted: number } {
  const accepted: { seq: number; token: bigint; holder: string }[] = [];
  let rejected = 0;
  let lateAccepted = 0;
  for (const section of sections) {
    const { write } = section;
    if (write.outcome === 'skipped') continue;
    const lost = section.paused || section.lostAt !== null;
    if (write.outcome === 'error') {
      violations.push({
        rule: 'fence',
        detail: `${section.holder}'s fenced write failed: ${write.message}`,
      });
    } else if (write.outcome === 'accepted') {
      accepted.push({ seq: write.seq, token: BigInt(section.token!), holder: section.holder });
      if (lost) lateAccepted += 1;
    } else {
      rejected += 1;
      if (BigInt(section.token!) > BigInt(write.highest)) {
        violations.push({
          rule: 'fence',
          detail: `the fence rejected token ${section.token} though its highest was only ${write.highest}`,
        });
      }
      if (!lost && !section.killed) {
        violations.push({
          rule: 'fence',
          detail:
            `${section.holder} still held the lock (token ${section.token}) but its write was rejected: ` +
            `a later holder had written ${write.highest} first`,
        });
      }
    }
  }
  accepted.sort((a, b) => a.seq - b.seq);
  // A holder killed between its write's commit and its report leaves one unreported seq.
  const killed = sections.filter((s) => s.killed).length;
  accepted.forEach((write, index) => {
    const before = accepted[index - 1];
    if (before && write.seq === before.seq) {
      violations.push({
        rule: 'fence',
        detail: `epoch ${epoch}: seq ${write.seq} was accepted twice (${before.holder}, ${write.holder})`,
      });
    }
    if (before && write.token <= before.token) {
      violations.push({
        rule: 'fence',
        detail: `epoch ${epoch}: seq ${write.seq} accepted token ${write.token} after ${before.token}`,
      });
    }
  });
  const unreported = finalSeq - accepted.length;
  if (unreported < 0 || unreported > killed || (accepted.at(-1)?.seq ?? 0) > finalSeq) {
    violations.push({
      rule: 'fence',
      detail:
        `epoch ${epoch}: workers saw ${accepted.length} accepted writes, the fence counted ${finalSeq} ` +
        `(only ${killed} writer(s) were killed before they could report)`,
    });
  }
  return { rejected, lateAccepted };
}

function fmt(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
