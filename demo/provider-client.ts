/** What an app instance calls on the OAuth provider (see provider.ts). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class ProviderClient {
  constructor(private readonly baseUrl: string) {}

  /** The "get_new_token_from_external_api" of the scenario: invalidates the user's old token. */
  async getNewToken(userId: string): Promise<IssuedToken> {
    const response = await fetch(`${this.baseUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: userId }),
    });
    if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    return { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
  }

  /** Stands for the request's real use of the token: does the provider still accept it? */
  async isValid(token: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/validate?token=${encodeURIComponent(token)}`);
    await response.body?.cancel();
    return response.status === 200;
  }
}
