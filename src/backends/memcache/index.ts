import type { Client as MemjsClient } from 'memjs';
import { LockError } from '../../errors.js';
import type { LockBackend } from '../backend.js';

export interface MemcacheBackendOptions {
  client: MemjsClient | undefined;
  servers: string;
  keyPrefix: string;
  timeoutMs: number;
}

/** WEAK locks on memcached: not built yet (see the WEAK issue). */
export function createMemcacheBackend(_options: MemcacheBackendOptions): Promise<LockBackend> {
  return Promise.reject(
    new LockError('WEAK locks are not available yet in this build; use LOCK_KINDS.STRONG.'),
  );
}
