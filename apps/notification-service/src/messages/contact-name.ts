import type { Contact } from '@sm/entities';

/** How a message names a contact: its full name, else its parts, else its company. */
export function displayName(contact: Contact): string {
  const fromParts = [contact.firstName, contact.lastName]
    .map((part) => part?.trim())
    .filter(Boolean)
    .join(' ');

  return contact.name?.trim() || fromParts || contact.companyName?.trim() || 'an unnamed contact';
}
