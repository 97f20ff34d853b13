export { lock, withLock, createLocking, configureLocking } from './api.js';
export { Lock } from './lock.js';
export { Locking } from './locking.js';
export type { IdentifierSource, LockWrapper, LockingOptions } from './locking.js';
export type { StrongProtocol } from './locking-options.js';
export { LOCK_KINDS, type LockKind } from './kinds.js';
export { DEFAULT_LOCK_OPTIONS, MIN_LEASE_MS, type LockOptions } from './options.js';
export type { BackoffOptions } from './backoff.js';
export {
  LockError,
  LockAcquisitionError,
  LockLostError,
  LockBackendError,
  type LockErrorCode,
} from './errors.js';
export type { LockEventMap, LockEventName, LockEventListener } from './events.js';
export type { LockBackend, Lease, AcquireAttempt, AttemptResult } from './backends/backend.js';
export { MemoryBackend } from './backends/memory.js';
export {
  cleanupLocks,
  DEFAULT_CLEANUP,
  type CleanupOptions,
  type CleanupResult,
} from './cleanup/index.js';
export {
  cleanupLocksHandler,
  type CleanupHandlerOptions,
  type CleanupRequest,
  type CleanupResponse,
} from './cleanup-handler.js';
export type { OidcCallerOptions, IdTokenVerifier, IdTokenClaims } from './cleanup/oidc.js';
