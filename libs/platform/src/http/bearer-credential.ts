/**
 * The credential of an `Authorization: Bearer <credential>` header, else undefined. An auth
 * scheme's name is case-insensitive (RFC 9110, section 11.1), so `bearer` and `BEARER` are the
 * same scheme; one or more spaces may follow it. A header of another scheme, or none, carries
 * no bearer credential: a bare token is not one.
 */
export function bearerCredential(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;

  return BEARER.exec(header)?.[1];
}

const BEARER = /^bearer +(\S.*)$/i;
