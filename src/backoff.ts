/** Delays between polls of a held lock. */
export interface BackoffOptions {
  /** Upper bound of the first delay. @default 20 */
  initialMs?: number;
  /** Upper bound of every delay. @default 200 */
  maxMs?: number;
}

export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 20, maxMs: 200 });

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(maxMs, initialMs * 2^attempt)).
 * Jitter spreads pollers from different processes so they do not hit the backend in step.
 */
export function backoffDelayMs(
  attempt: number,
  { initialMs, maxMs }: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
