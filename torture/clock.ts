import { performance } from 'node:perf_hooks';

/**
 * The clock critical sections are timed on. Every process runs on this one machine, so
 * `performance.timeOrigin + performance.now()` (epoch ms from the process start plus a monotonic
 * offset) is shared by all of them to well under a millisecond, and it ignores the `Date.now`
 * override that the clock-skew runs install. The kernel's CLOCK_MONOTONIC is not visible to Node
 * as an absolute value, which is why this is "monotonic enough" rather than monotonic.
 */
export function sharedNowMs(): number {
  return performance.timeOrigin + performance.now();
}
