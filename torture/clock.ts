import { performance } from 'node:perf_hooks';

/**
 * The clock critical sections are timed on: the machine's wall clock (CLOCK_REALTIME), captured
 * before the clock-skew runs override `Date.now`. Every process runs on this one machine and
 * reads the same kernel clock at the same instant, so it is shared; an NTP step would move all of
 * them at once. `performance.timeOrigin + performance.now()` is NOT used: it bakes a per-process
 * offset in at start-up (the wall time sampled then), so two processes may disagree by that
 * error for their whole life. `originOffsetMs()` measures that disagreement for the report.
 */
const realNow = Date.now.bind(Date);

export function sharedNowMs(): number {
  return realNow();
}

/** How far this process's `timeOrigin + now()` is from the wall clock, ms. */
export function originOffsetMs(): number {
  return realNow() - (performance.timeOrigin + performance.now());
}
