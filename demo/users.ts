import { Datastore } from '@google-cloud/datastore';
import type { IssuedToken } from './provider-client.js';

/** The app's user record: the OAuth token lives on it, as on the original's Django user. */
export interface User {
  readonly id: string;
  token: string;
  tokenExpiresAt: number;
}

const USER_KIND = 'DemoUser';
const FENCE_LOG_KIND = 'DemoFenceLog';

export function userIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `user-${index + 1}`);
}

/** Users (and, for the STRONG round's audit, a fencing-token log per user) in Datastore. */
export class UserStore {
  readonly #datastore: Datastore;

  constructor({
    host,
    projectId,
    namespace,
  }: {
    host: string;
    projectId: string;
    namespace: string;
  }) {
    this.#datastore = new Datastore({ projectId, apiEndpoint: host, namespace });
  }

  get datastore(): Datastore {
    return this.#datastore;
  }

  /** Every user starts the round with an expired token and an empty fencing log. */
  async seed(ids: readonly string[]): Promise<void> {
    await this.#datastore.save(
      ids.flatMap((id) => [
        { key: this.#userKey(id), data: { token: `expired-${id}`, tokenExpiresAt: 0 } },
        { key: this.#fenceKey(id), data: { tokens: [] }, excludeFromIndexes: ['tokens[]'] },
      ]),
    );
  }

  /** Deletes the demo's entities, so a user's own emulator is left as it was found. */
  async remove(ids: readonly string[]): Promise<void> {
    await this.#datastore.delete(ids.flatMap((id) => [this.#userKey(id), this.#fenceKey(id)]));
  }

  /** Django's `user.refresh_from_db()`: overwrite the in-memory user with what is stored. */
  async refreshFromDb(user: User): Promise<void> {
    const [entity] = (await this.#datastore.get(this.#userKey(user.id))) as [
      { token: string; tokenExpiresAt: number } | undefined,
    ];
    if (!entity) throw new Error(`user ${user.id} is not in Datastore`);
    user.token = entity.token;
    user.tokenExpiresAt = entity.tokenExpiresAt;
  }

  /** The scenario's `update_user(user, new_token)`. */
  async updateToken(user: User, issued: IssuedToken): Promise<void> {
    user.token = issued.token;
    user.tokenExpiresAt = issued.expiresAt;
    await this.#datastore.save({
      key: this.#userKey(user.id),
      data: { token: issued.token, tokenExpiresAt: issued.expiresAt },
    });
  }

  /**
   * Appends a critical section's fencing token to the user's log. Runs inside the lock, so a
   * plain read-modify-write is exact only while exclusion holds: a lost append shows as a log
   * shorter than the number of critical sections.
   */
  async appendFencingToken(userId: string, fencingToken: bigint): Promise<void> {
    const key = this.#fenceKey(userId);
    const [entity] = (await this.#datastore.get(key)) as [{ tokens?: string[] } | undefined];
    // Strings, not integers: versions are int64 and must not lose precision in a JS number.
    const tokens = [...(entity?.tokens ?? []), fencingToken.toString()];
    await this.#datastore.save({ key, data: { tokens }, excludeFromIndexes: ['tokens[]'] });
  }

  /** Each user's fencing-token log, in the order the critical sections wrote it. */
  async fencingLogs(ids: readonly string[]): Promise<Map<string, bigint[]>> {
    const logs = new Map<string, bigint[]>();
    for (const id of ids) {
      const [entity] = (await this.#datastore.get(this.#fenceKey(id))) as [
        { tokens?: string[] } | undefined,
      ];
      logs.set(
        id,
        (entity?.tokens ?? []).map((token) => BigInt(token)),
      );
    }
    return logs;
  }

  #userKey(id: string) {
    return this.#datastore.key([USER_KIND, id]);
  }

  #fenceKey(id: string) {
    return this.#datastore.key([FENCE_LOG_KIND, id]);
  }
}
