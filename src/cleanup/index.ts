export { cleanupLocks } from './sweep.js';
export { DEFAULT_CLEANUP, type CleanupOptions, type CleanupResult } from './options.js';
