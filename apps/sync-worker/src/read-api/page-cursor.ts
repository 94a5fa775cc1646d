import { BadRequestException } from '@nestjs/common';

/**
 * Opaque page cursors: the sort key of the last row of a page, as base64url JSON. Clients pass
 * them back untouched; a cursor that does not decode is a 400.
 */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const isValid =
    Array.isArray(values) &&
    values.length === arity &&
    values.every((value) => typeof value === 'string' || typeof value === 'number');
  if (!isValid) throw new BadRequestException('cursor is not one this API gave out');

  return values as (string | number)[];
}
