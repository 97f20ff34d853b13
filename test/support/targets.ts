import { Datastore } from '@google-cloud/datastore';
import {
  createLocking,
  LOCK_KINDS,
  type Locking,
  type LockingOptions,
  type LockKind,
} from '../../src/index.js';
import { TEST_ENV, TEST_PROJECT } from './env.js';

/**
 * One place a lock lives, as the contract suite sees it. `spec` is plain data, so a child
 * process can build the very same `Locking` (see test/fixtures/locking-from-spec.ts).
 */
export interface TargetSpec {
  readonly backend: 'memory' | 'datastore' | 'memcache';
  readonly protocol?: 'conditional' | 'transaction';
  /** host:port of the emulator (datastore) or MEMCACHE_SERVERS (memcache). */
  readonly host?: string;
}

export interface Target {
  readonly name: string;
  readonly kind: LockKind;
  readonly spec: TargetSpec;
  /** Fencing tokens are meaningful (STRONG). */
  readonly fenced: boolean;
  /** Several processes share it (everything but memory). */
  readonly shared: boolean;
  /** Size of the cross-process exclusion run. */
  readonly exclusion: { readonly workers: number; readonly sections: number };
}

export function datastoreFor(host: string): Datastore {
  return new Datastore({ projectId: TEST_PROJECT, apiEndpoint: host });
}

/** Builds a `Locking` for a target; extra options (backoff, defaults...) may be added. */
export function lockingFor(spec: TargetSpec, extra: LockingOptions = {}): Locking {
  switch (spec.backend) {
    case 'memory':
      return createLocking({ backend: 'memory', ...extra });
    case 'datastore':
      return createLocking({
        datastore: datastoreFor(spec.host!),
        protocol: spec.protocol,
        ...extra,
      });
    case 'memcache':
      return createLocking({ memcacheServers: spec.host!, ...extra });
  }
}

/** Every target the running services allow, in the order the suite runs them. */
export function targets(env: NodeJS.ProcessEnv = process.env): Target[] {
  const list: Target[] = [
    {
      name: 'memory',
      kind: LOCK_KINDS.STRONG,
      spec: { backend: 'memory' },
      fenced: true,
      shared: false,
      exclusion: { workers: 0, sections: 0 },
    },
  ];
  const emulators = [
    ['Firestore emulator (Datastore mode)', env[TEST_ENV.firestore]],
    ['legacy Datastore emulator', env[TEST_ENV.legacy]],
  ] as const;
  for (const [label, host] of emulators) {
    if (!host) continue;
    for (const protocol of ['conditional', 'transaction'] as const) {
      list.push({
        name: `STRONG ${protocol} on the ${label}`,
        kind: LOCK_KINDS.STRONG,
        spec: { backend: 'datastore', protocol, host },
        fenced: true,
        shared: true,
        // Contended transactions are serialised slowly by the Firestore emulator (~2 s lock waits).
        exclusion:
          protocol === 'conditional' ? { workers: 8, sections: 50 } : { workers: 4, sections: 10 },
      });
    }
  }
  const memcache = env[TEST_ENV.memcache];
  if (memcache) {
    list.push({
      name: 'WEAK on memcached',
      kind: LOCK_KINDS.WEAK,
      spec: { backend: 'memcache', host: memcache },
      fenced: false,
      shared: true,
      exclusion: { workers: 8, sections: 50 },
    });
  }
  return list;
}
