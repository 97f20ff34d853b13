/** Child of client.test.ts: takes a WEAK lock through the module-level API and never closes. */
import { LOCK_KINDS, withLock } from '../../src/index.js';

const result = await withLock(
  `exit-by-itself:${process.pid}`,
  { kind: LOCK_KINDS.WEAK },
  () => 'ran',
);
console.log(result);
