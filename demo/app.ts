import type { ProviderClient } from './provider-client.js';
import type { User, UserStore } from './users.js';

export function tokenIsExpired(user: User): boolean {
  return user.tokenExpiresAt <= Date.now();
}

/**
 * The app code of the original documentation's example, unchanged in spirit:
 *
 *     user.refresh_from_db()
 *     if token_is_expired(user):
 *         new_token = get_new_token_from_external_api(user)
 *         update_user(user, new_token)
 *
 * Run by many instances at once without a lock, every one of them sees the expired token,
 * asks the provider, and each refresh invalidates the token another instance just saved.
 */
export function makeRefreshUserOAuthToken({
  users,
  provider,
}: {
  users: UserStore;
  provider: ProviderClient;
}): (user: User) => Promise<void> {
  return async function refreshUserOAuthToken(user: User): Promise<void> {
    await users.refreshFromDb(user);
    if (tokenIsExpired(user)) {
      const newToken = await provider.getNewToken(user.id);
      await users.updateToken(user, newToken);
    }
  };
}
