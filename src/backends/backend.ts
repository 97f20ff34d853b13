/**
 * The seam between the lock's life (waiting, renewing, releasing: `src/lock.ts`) and a storage
 * service. A backend makes single attempts; it never sleeps, retries on a timer or keeps locks.
 */

/** What a backend hands back for a lock it granted. Immutable: renewal returns a new one. */
export interface Lease {
  /** The random holder token written with the record; only its holder may renew or release. */
  readonly token: string;
  /** Monotonic per identifier (STRONG); `null` where the service cannot give one (WEAK). */
  readonly fencingToken: bigint | null;
  /** Backend-private state (a Datastore version, a memcached CAS value, ...). */
  readonly state: unknown;
}

/** One attempt to take a lock. */
export interface AcquireAttempt {
  /** sha256 of the identifier (see `lockKeyFor`). */
  readonly key: string;
  /** The raw identifier, stored for humans. */
  readonly identifier: string;
  /** A fresh random token for this acquisition. */
  readonly token: string;
  readonly leaseMs: number;
  readonly stealAfterMs: number | undefined;
  /**
   * False on the second and later attempts of one acquisition: the lock was seen held, so the
   * backend may read before it writes (one cheap read per poll instead of a failed write + a read).
   */
  readonly firstAttempt: boolean;
}

export type AttemptResult =
  | {
      readonly acquired: true;
      readonly lease: Lease;
      /** An existing record was taken over (a lapsed lease, or past `stealAfterMs`). */
      readonly stole: boolean;
      /**
       * The record taken over was still live: its holder was overruled by `stealAfterMs`.
       * Backends that cannot tell leave it out; `stole` then stands for it.
       */
      readonly overruled?: boolean;
    }
  | { readonly acquired: false };

export interface LockBackend {
  /** For messages and telemetry: `'datastore'`, `'memcache'`, `'memory'`. */
  readonly name: string;
  /** Whether `fencingToken` is meaningful. */
  readonly fenced: boolean;
  /** One attempt: take the lock if it is free, expired, or older than `stealAfterMs`. */
  tryAcquire(attempt: AcquireAttempt): Promise<AttemptResult>;
  /** Extends the lease if `lease` is still current. Resolves the new lease, or `null` if lost. */
  renew(key: string, lease: Lease, leaseMs: number): Promise<Lease | null>;
  /** Deletes the record if `lease` is still current. Resolves whether it was ours to delete. */
  release(key: string, lease: Lease): Promise<boolean>;
  /** Frees clients this backend created itself (never injected ones). */
  close?(): Promise<void>;
}
