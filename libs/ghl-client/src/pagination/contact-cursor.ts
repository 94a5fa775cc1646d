import { isRecord } from '../http/ghl-response';

/** Where GET /contacts/ continues: after this contact, in GHL's (dateAdded, id) order. */
export interface ContactCursor {
  startAfterId: string;
  /** The last contact's `dateAdded`, in epoch ms. */
  startAfter: number;
}

/**
 * The cursor for the page after `page`. GHL's spec defines a `meta` object (startAfterId,
 * startAfter) without wiring it to the response; when an answer carries one it wins, otherwise
 * the cursor is taken from the page's last contact. Undefined when no complete cursor exists,
 * which ends the walk.
 */
export function nextContactCursor(page: unknown): ContactCursor | undefined {
  if (!isRecord(page)) return undefined;
  if (isRecord(page.meta)) return cursorFrom(page.meta.startAfterId, page.meta.startAfter);
  const contacts = Array.isArray(page.contacts) ? page.contacts : [];
  const last: unknown = contacts[contacts.length - 1];
  if (!isRecord(last)) return undefined;

  return cursorFrom(last.id, last.dateAdded);
}

export function sameCursor(a: ContactCursor | undefined, b: ContactCursor | undefined): boolean {
  return a?.startAfterId === b?.startAfterId && a?.startAfter === b?.startAfter;
}

function cursorFrom(id: unknown, dateAdded: unknown): ContactCursor | undefined {
  const startAfter =
    typeof dateAdded === 'string' ? Date.parse(dateAdded) : Number(dateAdded ?? NaN);
  const isComplete = typeof id === 'string' && id !== '' && Number.isFinite(startAfter);

  return isComplete ? { startAfterId: id, startAfter } : undefined;
}
