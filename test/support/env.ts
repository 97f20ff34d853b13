/** Environment variables through which `test/run.ts` tells suites where the services are. */
export const TEST_ENV = Object.freeze({
  firestore: 'GCP_LOCKING_TEST_FIRESTORE_HOST',
  legacy: 'GCP_LOCKING_TEST_LEGACY_HOST',
  memcache: 'MEMCACHE_SERVERS',
});

export const TEST_PROJECT = 'gcp-locking-test';
