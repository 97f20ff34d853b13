/** The two lock kinds of the original: STRONG (Datastore) and WEAK (memcached). */
export const LOCK_KINDS = Object.freeze({
  /** Exclusion is guaranteed; backed by Cloud Datastore / Firestore in Datastore mode. */
  STRONG: 'strong',
  /** Best effort; backed by memcached. A restart or eviction loses locks. */
  WEAK: 'weak',
} as const);

/** `'strong' | 'weak'`. */
export type LockKind = (typeof LOCK_KINDS)[keyof typeof LOCK_KINDS];

export function isLockKind(value: unknown): value is LockKind {
  return value === LOCK_KINDS.STRONG || value === LOCK_KINDS.WEAK;
}
