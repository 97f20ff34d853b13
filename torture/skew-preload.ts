/**
 * Imported first by the worker: shifts this process's wall clock (`Date.now`, `new Date()`) by
 * `skewMs` from the worker config, to play a machine whose clock is off. `performance.now`, which
 * the library uses only for local durations, and the shared torture clock (clock.ts) are left alone.
 */
// Imported first, so the shared clock captures the real Date.now before it is shifted.
import './clock.js';
import type { WorkerConfig } from './messages.js';

const config = JSON.parse(process.argv[2] ?? '{}') as Partial<WorkerConfig>;
const skewMs = config.skewMs ?? 0;
if (skewMs !== 0) {
  const realNow = Date.now.bind(Date);
  const RealDate = Date;
  Date.now = () => realNow() + skewMs;
  // `new Date()` with no argument must agree with Date.now (the client may stamp with it).
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args: unknown[]) {
      return args.length === 0
        ? new target(realNow() + skewMs)
        : new target(...(args as [string | number | Date]));
    },
  });
}
