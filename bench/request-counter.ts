/** Counts backend requests by method, so a cycle's round trips are measured, not assumed. */
export class RequestCounter {
  readonly #byMethod = new Map<string, number>();
  #total = 0;

  record(method: string): void {
    this.#total += 1;
    this.#byMethod.set(method, (this.#byMethod.get(method) ?? 0) + 1);
  }

  get total(): number {
    return this.#total;
  }

  byMethod(): Record<string, number> {
    return Object.fromEntries([...this.#byMethod].sort(([a], [b]) => a.localeCompare(b)));
  }
}

type RequestFn = (config: { method?: string }, ...rest: unknown[]) => unknown;

/**
 * Counts every Datastore RPC sent through `target.request_`: a Datastore instance (our backend
 * and the floor send everything there), or the `DatastoreRequest` prototype of the client copy
 * datastore-lock bundles (its transactions inherit `request_` from it).
 */
export function countDatastoreRequests(target: object, counter: RequestCounter): void {
  const holder = target as { request_: RequestFn };
  const original = holder.request_;
  holder.request_ = function (this: unknown, config, ...rest) {
    counter.record(config.method ?? 'unknown');
    return original.call(this, config, ...rest);
  };
}

/** memcached binary-protocol opcodes (byte 1 of the request header). */
const MEMCACHE_OPCODES: Readonly<Record<number, string>> = {
  0x00: 'get',
  0x01: 'set',
  0x02: 'add',
  0x03: 'replace',
  0x04: 'delete',
  0x05: 'increment',
  0x06: 'decrement',
  0x0d: 'getk',
  0x1c: 'touch',
};

/** Counts every memcached request (retries included) a memjs client sends through `perform`. */
export function countMemcacheRequests(client: object, counter: RequestCounter): void {
  const holder = client as {
    perform: (key: unknown, request: unknown, ...rest: unknown[]) => unknown;
  };
  const original = holder.perform;
  holder.perform = function (this: unknown, key, request, ...rest) {
    const opcode = Buffer.isBuffer(request) ? request[1]! : -1;
    counter.record(MEMCACHE_OPCODES[opcode] ?? `opcode ${opcode}`);
    return original.call(this, key, request, ...rest);
  };
}
