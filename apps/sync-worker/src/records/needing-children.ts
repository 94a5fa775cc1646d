/** A stored contact's version, and the one its children were last fetched at (its mark). */
export interface StoredMark {
  id: string;
  version: Date;
  marked: Date | null;
}

/** A listed contact, or one whose children are to be fetched, at a version. */
export interface ContactVersion {
  id: string;
  version: Date;
}

/**
 * Which listed contacts need their children fetched before their batch is written, each with
 * the version its mark will record: the one the write leaves stored, the newer of the stored and
 * the listed (a write never moves a contact back). Needed: a contact not stored, one whose mark
 * is at another version (changed since, never fetched, or tombstoned, which clears the mark),
 * one named in `alsoIds` (an event since the last run), or any when `all` is set.
 */
export function needingChildren(
  listed: ContactVersion[],
  stored: StoredMark[],
  { all, alsoIds }: { all: boolean; alsoIds: string[] },
): ContactVersion[] {
  const storedById = new Map(stored.map((row) => [row.id, row]));
  const evented = new Set(alsoIds);
  const needing: ContactVersion[] = [];
  for (const { id, version } of listed) {
    const row = storedById.get(id);
    const kept = row && row.version > version ? row.version : version;
    const isMarked = row?.marked?.getTime() === kept.getTime();
    if (all || evented.has(id) || !isMarked) needing.push({ id, version: kept });
  }

  return needing;
}
