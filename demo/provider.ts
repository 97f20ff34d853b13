import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** How long an issued token lives, as the provider announces it (`expires_in`). */
const TOKEN_LIFETIME_SECONDS = 3600;

/** What the provider counted since the last `reset()`. */
export interface ProviderStats {
  /** Token refresh calls answered. */
  readonly refreshCalls: number;
  /** Users that got at least one new token. */
  readonly usersRefreshed: number;
  readonly validations: number;
}

/**
 * A fake OAuth token endpoint on loopback that behaves like the real ones the scenario is about:
 * every refresh issues a new token and invalidates the user's previous one, so two instances
 * refreshing at once leave one of them holding a dead token.
 *
 * `POST /token` with `{"user": id}` answers `{"access_token", "expires_in"}` after `refreshDelayMs`
 * (the provider's own latency, which is what lets unguarded refreshes overlap);
 * `GET /validate?token=...` answers 200 for the user's current token and 401 otherwise.
 */
export class FakeOAuthProvider {
  readonly #server: Server;
  readonly #refreshDelayMs: number;
  /** The one valid token per user. */
  readonly #current = new Map<string, string>();
  readonly #ownerOf = new Map<string, string>();
  readonly #refreshesPerUser = new Map<string, number>();
  #validations = 0;
  #url = '';

  private constructor(refreshDelayMs: number) {
    this.#refreshDelayMs = refreshDelayMs;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  }

  static async start({ refreshDelayMs }: { refreshDelayMs: number }): Promise<FakeOAuthProvider> {
    const provider = new FakeOAuthProvider(refreshDelayMs);
    await new Promise<void>((resolve, reject) => {
      provider.#server.once('error', reject);
      provider.#server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = provider.#server.address() as AddressInfo;
    provider.#url = `http://127.0.0.1:${port}`;
    return provider;
  }

  get url(): string {
    return this.#url;
  }

  /** Forgets every token and counter: each round starts from scratch. */
  reset(): void {
    this.#current.clear();
    this.#ownerOf.clear();
    this.#refreshesPerUser.clear();
    this.#validations = 0;
  }

  stats(): ProviderStats {
    let refreshCalls = 0;
    for (const count of this.#refreshesPerUser.values()) refreshCalls += count;
    return {
      refreshCalls,
      usersRefreshed: this.#refreshesPerUser.size,
      validations: this.#validations,
    };
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.#url);
    if (request.method === 'POST' && url.pathname === '/token') {
      const { user } = JSON.parse(await readBody(request)) as { user: string };
      await delay(this.#refreshDelayMs);
      const token = this.#issue(user);
      respondJson(response, 200, { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS });
      return;
    }
    if (request.method === 'GET' && url.pathname === '/validate') {
      this.#validations += 1;
      const token = url.searchParams.get('token') ?? '';
      const owner = this.#ownerOf.get(token);
      const valid = owner !== undefined && this.#current.get(owner) === token;
      respondJson(response, valid ? 200 : 401, { valid });
      return;
    }
    respondJson(response, 404, { error: 'not_found' });
  }

  #issue(user: string): string {
    const token = `tok-${user}-${randomBytes(6).toString('hex')}`;
    // Issuing is the invalidation: only the newest token of a user is accepted from now on.
    this.#current.set(user, token);
    this.#ownerOf.set(token, user);
    this.#refreshesPerUser.set(user, (this.#refreshesPerUser.get(user) ?? 0) + 1);
    return token;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

function respondJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
