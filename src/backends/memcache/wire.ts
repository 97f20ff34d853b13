import type { Socket } from 'node:net';
import type { Client as MemjsClient } from 'memjs';

/** Binary-protocol opcodes used by WEAK locks. */
export const OPCODE = Object.freeze({ GET: 0x00, SET: 0x01, ADD: 0x02, DELETE: 0x04 } as const);

/** Binary-protocol response statuses that a lock step acts on. */
export const STATUS = Object.freeze({
  OK: 0x0000,
  /** No such key (GET, DELETE, CAS-conditioned SET). */
  NOT_FOUND: 0x0001,
  /** ADD on an existing key, or a CAS value that no longer matches. */
  EXISTS: 0x0002,
} as const);

/** What memcached answered: the status, the item's CAS value and its value bytes. */
export interface WireResponse {
  readonly status: number;
  /** The item's CAS after the command (0n when the command failed). */
  readonly cas: bigint;
  readonly value: Buffer;
}

export interface WireRequest {
  readonly opcode: number;
  readonly key: string;
  readonly extras?: Buffer;
  readonly value?: Buffer;
  /** Makes the write conditional: memcached applies it only if the item's CAS still equals it. */
  readonly cas?: bigint;
}

/**
 * Sends single binary-protocol requests through a memjs client's `perform()`.
 *
 * memjs 1.3 offers no CAS commands, but `perform()` sends any request buffer and hands back the
 * parsed response with its header (and so its CAS). Every request is sent once: `perform`'s own
 * retry would repeat a write whose answer was lost, which the lock steps settle by reading back.
 */
export class MemcacheWire {
  #inFlight = 0;

  /**
   * @param deadlineMs Rejects a request memjs never calls back: memjs strands a request whose
   * connection the server closes before answering (measured: no callback within 5 s). Set it
   * above memjs's own connect + answer timeouts, which normally fire first.
   * @param idleUnref Let an idle connection not keep the process alive, so a script that took a
   * WEAK lock exits by itself without `close()`. Only for clients we built: an injected client's
   * sockets belong to its owner.
   */
  constructor(
    private readonly client: MemjsClient,
    private readonly deadlineMs: number,
    private readonly idleUnref = false,
  ) {}

  send(request: WireRequest): Promise<WireResponse> {
    return new Promise<WireResponse>((resolve, reject) => {
      this.client.incrSeq();
      const seq = this.client.seq;
      const buffer = encodeRequest(request, seq);
      this.#begin();
      // memjs calls back from inside its socket handlers: resolving or rejecting never throws,
      // so nothing can escape into the socket's event handler as an uncaught exception.
      let answered = false;
      const callback = (error: unknown, response?: unknown): void => {
        if (answered) return;
        answered = true;
        clearTimeout(deadline);
        this.#end();
        if (error !== null && error !== undefined) reject(asError(error));
        else resolve(decodeResponse(response));
      };
      const deadline = setTimeout(
        () => callback(new Error(`no answer within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
      try {
        // retries = 1: `perform` uses `retries || client.options.retries` and retries while
        // `--retries > 0`, so 1 means exactly one attempt whatever the client was built with.
        this.client.perform(request.key, buffer, seq, callback, 1);
      } catch (error) {
        callback(error);
      }
    });
  }

  #begin(): void {
    if (this.#inFlight++ === 0 && this.idleUnref) this.#sockets().forEach((s) => s.ref());
  }

  #end(): void {
    if (--this.#inFlight === 0 && this.idleUnref) this.#sockets().forEach((s) => s.unref());
  }

  /** memjs keeps each server's connection in `_socket` (not in its typings); new ones start ref'd. */
  #sockets(): Socket[] {
    return (this.client.servers ?? []).flatMap((server) => {
      const socket = (server as unknown as { _socket?: Socket })._socket;
      return socket ? [socket] : [];
    });
  }
}

/** A binary-protocol request header (24 bytes), extras, key and value; opaque = memjs's seq. */
export function encodeRequest(request: WireRequest, opaque: number): Buffer {
  const key = Buffer.from(request.key, 'utf8');
  const extras = request.extras ?? Buffer.alloc(0);
  const value = request.value ?? Buffer.alloc(0);
  const buffer = Buffer.alloc(24 + extras.length + key.length + value.length);
  buffer.writeUInt8(0x80, 0);
  buffer.writeUInt8(request.opcode, 1);
  buffer.writeUInt16BE(key.length, 2);
  buffer.writeUInt8(extras.length, 4);
  buffer.writeUInt32BE(extras.length + key.length + value.length, 8);
  buffer.writeUInt32BE(opaque >>> 0, 12);
  buffer.writeBigUInt64BE(request.cas ?? 0n, 16);
  extras.copy(buffer, 24);
  key.copy(buffer, 24 + extras.length);
  value.copy(buffer, 24 + extras.length + key.length);
  return buffer;
}

/** Extras of SET and ADD: 4 bytes of flags (unused), 4 bytes of expiry in seconds. */
export function storageExtras(expirySeconds: number): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(expirySeconds, 4);
  return extras;
}

function decodeResponse(response: unknown): WireResponse {
  const { header, val } = (response ?? {}) as {
    header?: { status?: number; cas?: Buffer };
    val?: Buffer;
  };
  const cas = header?.cas;
  return {
    status: header?.status ?? -1,
    cas: cas && cas.length === 8 ? cas.readBigUInt64BE(0) : 0n,
    value: val ?? Buffer.alloc(0),
  };
}

/** memjs reports some failures as bare strings (a failed SASL authentication). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
