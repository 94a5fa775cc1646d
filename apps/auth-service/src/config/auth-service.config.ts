import { z } from 'zod';

import { flag, oneOf, port, positiveInt, secret, sharedEnv, url } from '@sm/config';

/** One key of the token encryption key ring: an id stored beside each ciphertext, 32 bytes. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** What a key id of the ring may be: letters, digits, `_` and `-`, 32 at most. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * `id:base64-32-bytes`, comma-separated, oldest first. The LAST key seals new tokens; every key
 * opens. Problems name the key by position and id, never by value.
 */
export const keyRing = () =>
  z.string({ message: 'is required' }).transform((value, context): EncryptionKey[] => {
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const keys: EncryptionKey[] = [];
    entries.forEach((entry, index) => {
      const [id, encoded, ...rest] = entry.split(':');
      const key = Buffer.from(encoded ?? '', 'base64');
      if (rest.length > 0 || !id || !KEY_ID.test(id) || key.length !== 32) {
        context.addIssue({
          code: 'custom',
          message: `key #${index + 1} must be id:base64 of 32 bytes (id: letters, digits, _ -)`,
        });

        return;
      }
      if (keys.some((known) => known.id === id)) {
        context.addIssue({ code: 'custom', message: `key id ${id} appears twice` });
      }
      keys.push({ id, key });
    });
    if (entries.length === 0) context.addIssue({ code: 'custom', message: 'needs one key' });

    return keys;
  });

/**
 * GHL access tokens live about a day (`expires_in` 86,399 s). A margin near that would refresh on
 * nearly every request, each refresh rotating the single-use refresh token; half the life at
 * most leaves a token handed out for at least half a day.
 */
export const MAX_TOKEN_REFRESH_MARGIN_SECONDS = 43_200;

/** OAuth forbids a fragment in a redirect URI (RFC 6749 §3.1.2); GHL would not send it back. */
const redirectUri = () =>
  url().refine((value) => !value.includes('#'), { message: 'must not have a #fragment' });

export const authServiceEnv = z.object({
  ...sharedEnv,
  PORT: port(3001),
  GHL_API_BASE_URL: url('https://services.leadconnectorhq.com'),
  GHL_AUTHORIZE_URL: url('https://marketplace.gohighlevel.com/v2/oauth/chooselocation'),
  GHL_CLIENT_ID: z.string({ message: 'is required' }).min(1, { message: 'is required' }),
  GHL_CLIENT_SECRET: secret(8),
  /** The public URL of `GET /oauth/callback`, exactly as registered with the GHL app. */
  GHL_REDIRECT_URI: redirectUri(),
  /**
   * The token the install's code exchange asks for: `Location` (a sub-account app) or
   * `Company` (an app distributed to agencies: the agency's locations get location tokens
   * through `POST /oauth/locationToken`).
   */
  GHL_INSTALL_USER_TYPE: oneOf(['Location', 'Company'], 'Location'),
  /** Asks GHL for `contacts.write` at install; off means read-only connections. */
  GHL_WRITE_FEATURES: flag(false),
  TOKEN_ENCRYPTION_KEYS: keyRing(),
  /** HMAC key of the OAuth `state`. */
  OAUTH_STATE_SECRET: secret(32),
  /** The bearer credential the sync workers present to the internal token endpoint. */
  SERVICE_TOKEN: secret(32),
  /** Access tokens are refreshed this long before they expire (seconds). */
  TOKEN_REFRESH_MARGIN_SECONDS: positiveInt(
    600,
    MAX_TOKEN_REFRESH_MARGIN_SECONDS,
    "half of a GHL access token's ~24 h life; more refreshes on nearly every request",
  ),
  /** What an UNINSTALL does to the synced records: `keep` them, or `purge` them. */
  UNINSTALL_RECORDS: oneOf(['keep', 'purge'], 'keep'),
});

export type AuthServiceConfig = z.infer<typeof authServiceEnv>;
