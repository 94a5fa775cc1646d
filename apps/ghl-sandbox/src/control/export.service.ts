import { Injectable } from '@nestjs/common';

import { LocationDataset } from '../dataset/location-dataset';
import { locationView } from '../locations/location-view';

/** GET /_sandbox/export: the live data, exactly as the GET endpoints serve it. */
@Injectable()
export class ExportService {
  export(dataset: LocationDataset) {
    const contacts = dataset.ordered();
    const tasks = [];
    const notes = [];
    const appointments = [];
    for (const contact of contacts) {
      const children = dataset.childrenOf(contact.id);
      tasks.push(...children.tasks);
      notes.push(...children.notes);
      appointments.push(...children.appointments);
    }
    return {
      location: locationView(dataset),
      customFields: dataset.customFields,
      users: dataset.users,
      businesses: dataset.businesses,
      contacts,
      tasks,
      notes,
      appointments,
    };
  }
}
