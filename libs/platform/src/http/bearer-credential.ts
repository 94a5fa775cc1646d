/**
 * The credential of an `Authorization: Bearer <credential>` header, else undefined. An auth
 * scheme's name is case-insensitive (RFC 9110, section 11.1), so `bearer` and `BEARER` are the
 * same scheme. Spaces or tabs may follow it (RFC 6750 asks for spaces; the read API has always
 * taken a tab), and whitespace around the credential is not part of it. A header of another
 * scheme, or none, carries no bearer credential: a bare token is not one.
 */
export function bearerCredential(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;

  return BEARER.exec(header)?.[1];
}

const BEARER = /^bearer[ \t]+(\S(?:.*\S)?)[ \t]*$/i;
