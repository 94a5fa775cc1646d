import type { DataSource } from 'typeorm';

import { Contact, Task } from '@sm/entities';

/** Writes a contact and one completed task of it, as the sync worker would have. */
export async function seedCompletedTask(
  dataSource: DataSource,
  ids: { locationId: string; contactId: string; taskId: string },
  values: { title: string; firstName: string; lastName: string; assignedTo: string | null },
): Promise<void> {
  const now = new Date();
  await dataSource.getRepository(Contact).save({
    locationId: ids.locationId,
    id: ids.contactId,
    firstName: values.firstName,
    lastName: values.lastName,
    name: `${values.firstName} ${values.lastName}`,
    sourceVersionAt: now,
    firstVersionAt: now,
    syncedAt: now,
  });
  await dataSource.getRepository(Task).save({
    locationId: ids.locationId,
    id: ids.taskId,
    contactId: ids.contactId,
    title: values.title,
    assignedTo: values.assignedTo,
    completed: true,
    completedAt: now,
    sourceVersionAt: now,
    firstVersionAt: now,
    syncedAt: now,
  });
}
