import { CLEANUP_ENV } from './env.js';
import { messageOf } from './message.js';

/** The claims of a verified Google ID token that the invoker check reads. */
export interface IdTokenClaims {
  email?: string;
  email_verified?: boolean;
}

/** Verifies a Google-signed ID token for `audience`; rejects when it is invalid or expired. */
export type IdTokenVerifier = (idToken: string, audience: string) => Promise<IdTokenClaims>;

/** How the cleanup endpoint checks the OIDC token Cloud Scheduler sends. */
export interface OidcCallerOptions {
  /** Expected `aud` claim (the function's URL). Unset = no check here (IAM already guards it). @default process.env.CLEANUP_EXPECTED_AUDIENCE */
  audience?: string;
  /** Service-account emails allowed to call. Unset = any valid token for the audience. @default process.env.CLEANUP_ALLOWED_INVOKERS (comma-separated) */
  allowedInvokers?: readonly string[];
  /** @default google-auth-library's OAuth2Client.verifyIdToken */
  verifier?: IdTokenVerifier;
}

export type CallerVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** Checks the request's `Authorization: Bearer <ID token>` against the audience and invokers. */
export async function checkOidcCaller(
  authorization: string | undefined,
  options: OidcCallerOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CallerVerdict> {
  const audience = options.audience ?? (env[CLEANUP_ENV.audience] || undefined);
  if (!audience) return { ok: true };
  const allowed =
    options.allowedInvokers ??
    (env[CLEANUP_ENV.allowedInvokers] ?? '')
      .split(',')
      .map((email) => email.trim())
      .filter(Boolean);
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) {
    return {
      ok: false,
      status: 401,
      message:
        'Missing bearer token: call with an OIDC ID token (Cloud Scheduler --oidc-service-account-email).',
    };
  }
  // Loaded outside the try: a missing google-auth-library is our fault (500), not the caller's.
  const verify = options.verifier ?? (await googleVerifier());
  let claims: IdTokenClaims;
  try {
    claims = await verify(match[1]!, audience);
  } catch (error) {
    return {
      ok: false,
      status: 401,
      message: `Invalid ID token for audience ${audience}: ${messageOf(error)}`,
    };
  }
  if (
    allowed.length > 0 &&
    !(claims.email_verified && claims.email && allowed.includes(claims.email))
  ) {
    return {
      ok: false,
      status: 403,
      message: `Caller ${claims.email ?? '(no email claim)'} is not an allowed invoker of the lock cleanup.`,
    };
  }
  return { ok: true };
}

let cachedVerifier: IdTokenVerifier | undefined;

/** google-auth-library's verifier; one client per process, so Google's signing keys are cached. */
async function googleVerifier(): Promise<IdTokenVerifier> {
  if (cachedVerifier) return cachedVerifier;
  let module: typeof import('google-auth-library');
  try {
    module = await import('google-auth-library');
  } catch (error) {
    throw new Error(
      `${CLEANUP_ENV.audience} is set, which needs google-auth-library: run \`npm install google-auth-library\`.`,
      { cause: error },
    );
  }
  const client = new module.OAuth2Client();
  cachedVerifier = async (idToken, audience) => {
    const ticket = await client.verifyIdToken({ idToken, audience });
    return ticket.getPayload() ?? {};
  };
  return cachedVerifier;
}
