import { Injectable } from '@nestjs/common';

import { ContactActivityService } from '../contacts/contact-activity.service';
import { ContactInput } from '../contacts/contact-input';
import { Change, ContactsService } from '../contacts/contacts.service';
import { LocationDataset } from '../dataset/location-dataset';
import { SandboxContact, SandboxCustomFieldDefinition } from '../dataset/records';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { badRequest, notFound } from '../http/ghl-errors';
import { appointmentEvent, contactEvent } from '../webhooks/webhook-payloads';
import { WebhookDelivery, WebhookSender } from '../webhooks/webhook-sender.service';

export const CHANGE_KINDS = [
  'contact.create',
  'contact.update',
  'contact.delete',
  'contact.tag',
  'task.create',
  'task.update',
  'task.complete',
  'task.delete',
  'note.create',
  'note.update',
  'note.delete',
  'appointment.create',
  'appointment.update',
  'appointment.delete',
  'customField.create',
] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * Body of POST /_sandbox/locations/:locationId/changes. Ids left out are picked from the
 * location (deterministically after a reset); `fields` overrides what the change writes.
 */
export interface ChangeRequest {
  kind: ChangeKind;
  contactId?: string;
  taskId?: string;
  noteId?: string;
  appointmentId?: string;
  fields?: Record<string, unknown>;
  /** contact.tag: tags to add (default `hot-lead`) and to remove. */
  tags?: string[];
  removeTags?: string[];
}

/** Applies a change as a GHL user would, and delivers the webhooks GHL sends for it. */
@Injectable()
export class ChangesService {
  constructor(
    private readonly store: SandboxStore,
    private readonly contacts: ContactsService,
    private readonly activity: ContactActivityService,
    private readonly webhooks: WebhookSender,
  ) {}

  async apply(
    locationId: string,
    request: ChangeRequest,
  ): Promise<{ record: unknown; webhooks: WebhookDelivery[] }> {
    const dataset = this.store.location(locationId);
    if (!dataset) throw notFound(`Unknown location ${locationId}`);
    if (!CHANGE_KINDS.includes(request?.kind)) {
      throw badRequest(`kind must be one of ${CHANGE_KINDS.join(', ')}`);
    }
    const change = this.run(dataset, request);
    const webhooks: WebhookDelivery[] = [];
    for (const event of change.events) webhooks.push(await this.webhooks.send(event));

    return { record: change.record, webhooks };
  }

  private run(dataset: LocationDataset, request: ChangeRequest): Change<unknown> {
    const fields = request.fields ?? {};
    const [noun, verb] = request.kind.split('.') as [string, string];
    if (noun === 'contact') return this.contactChange(dataset, verb, request);
    if (noun === 'task') return this.taskChange(dataset, verb, request, fields);
    if (noun === 'note') return this.noteChange(dataset, verb, request, fields);
    if (noun === 'customField') return this.customFieldCreated(dataset, fields);

    return this.appointmentChange(dataset, verb, request, fields);
  }

  /**
   * A contact field added in GHL's settings (`fields`: name, fieldKey, dataType). GHL sends no
   * webhook for it: contacts carry its id before anyone asks for the definitions again.
   */
  private customFieldCreated(
    dataset: LocationDataset,
    fields: Record<string, unknown>,
  ): Change<SandboxCustomFieldDefinition> {
    const name = typeof fields.name === 'string' ? fields.name : 'Added field';
    const fieldKey =
      typeof fields.fieldKey === 'string'
        ? fields.fieldKey
        : `contact.added_${dataset.customFields.length}`;
    if (dataset.customFields.some((field) => field.fieldKey === fieldKey)) {
      throw badRequest(`fieldKey ${fieldKey} exists`);
    }
    const definition: SandboxCustomFieldDefinition = {
      id: this.store.changePrng(dataset.id).id(),
      name,
      fieldKey,
      placeholder: name,
      dataType: 'TEXT',
      position: dataset.customFields.length * 50,
      locationId: dataset.id,
      model: 'contact',
    };
    dataset.customFields.push(definition);

    return { record: definition, events: [] };
  }

  private contactChange(dataset: LocationDataset, verb: string, request: ChangeRequest) {
    const factory = this.store.factory(dataset);
    if (verb === 'create') {
      const addedMs = dataset.nextAddedMs();
      const contact = factory.contact(addedMs, addedMs);
      contact.source = 'sandbox change';
      Object.assign(contact, request.fields ?? {});
      dataset.insertContact(contact);

      return { record: contact, events: [contactEvent('ContactCreate', contact)] };
    }
    const contactId = this.contactIdFor(dataset, request);
    if (verb === 'delete') return this.contacts.remove(dataset, contactId);
    if (verb === 'tag') {
      return this.contacts.changeTags(dataset, contactId, {
        add: request.tags ?? ['hot-lead'],
        remove: request.removeTags,
      });
    }
    const prng = this.store.changePrng(dataset.id);
    const input: ContactInput = request.fields ?? {
      city: 'Lakewood',
      customFields: [
        { key: 'contact.monthly_electric_bill', field_value: String(prng.int(60, 480)) },
      ],
    };
    return this.contacts.update(dataset, contactId, input);
  }

  private taskChange(
    dataset: LocationDataset,
    verb: string,
    request: ChangeRequest,
    fields: Record<string, unknown>,
  ): Change<unknown> {
    const contactId = this.contactIdFor(dataset, request, 'tasks');
    if (verb === 'create') {
      const contact = dataset.contacts.get(contactId) as SandboxContact;
      const template = this.store.factory(dataset).task(contact, Date.now());

      return this.activity.createTask(dataset, contactId, {
        title: template.title,
        body: template.body,
        assignedTo: template.assignedTo,
        dueDate: template.dueDate,
        completed: false,
        ...fields,
      });
    }
    const taskId = request.taskId ?? this.pick(dataset.childrenOf(contactId).tasks, 'task').id;
    if (verb === 'update') {
      const change = this.activity.updateTask(dataset, contactId, taskId, {
        title: 'Call back about the proposal',
        ...fields,
      });

      // GHL sends no webhook for a plain task edit.
      return { record: change.record, events: [] };
    }
    if (verb === 'complete') return this.activity.completeTask(dataset, contactId, taskId, true);

    return this.activity.deleteTask(dataset, contactId, taskId);
  }

  private noteChange(
    dataset: LocationDataset,
    verb: string,
    request: ChangeRequest,
    fields: Record<string, unknown>,
  ): Change<unknown> {
    const contactId = this.contactIdFor(dataset, request, 'notes');
    if (verb === 'create') {
      return this.activity.createNote(dataset, contactId, {
        body: 'Customer called back: wants a battery quote too.',
        ...fields,
      });
    }
    const noteId = request.noteId ?? this.pick(dataset.childrenOf(contactId).notes, 'note').id;
    if (verb === 'update') {
      return this.activity.updateNote(dataset, contactId, noteId, {
        body: 'Updated: roof replacement scheduled before install.',
        ...fields,
      });
    }

    return this.activity.deleteNote(dataset, contactId, noteId);
  }

  private appointmentChange(
    dataset: LocationDataset,
    verb: string,
    request: ChangeRequest,
    fields: Record<string, unknown>,
  ): Change<unknown> {
    const contactId = this.contactIdFor(dataset, request, 'appointments');
    const appointments = dataset.mutableChildrenOf(contactId).appointments;
    if (verb === 'create') {
      const contact = dataset.contacts.get(contactId) as SandboxContact;
      const generated = this.store.factory(dataset).appointment(contact, Date.now());
      const appointment = { ...generated, ...fields };
      appointments.push(appointment);

      return { record: appointment, events: [appointmentEvent('AppointmentCreate', appointment)] };
    }
    const appointmentId = request.appointmentId ?? this.pick(appointments, 'appointment').id;
    const appointment = appointments.find((item) => item.id === appointmentId);
    if (!appointment) throw notFound('Appointment not found');
    if (verb === 'update') {
      Object.assign(appointment, { appointmentStatus: 'confirmed', ...fields });
      appointment.dateUpdated = new Date().toISOString();

      return { record: appointment, events: [appointmentEvent('AppointmentUpdate', appointment)] };
    }
    appointments.splice(appointments.indexOf(appointment), 1);

    return { record: appointment, events: [appointmentEvent('AppointmentDelete', appointment)] };
  }

  /** The contact to change: the one named, or a random one (with such children, if asked). */
  private contactIdFor(
    dataset: LocationDataset,
    request: ChangeRequest,
    withChildren?: 'tasks' | 'notes' | 'appointments',
  ): string {
    if (request.contactId) {
      if (!dataset.contacts.has(request.contactId)) throw notFound('Contact not found');

      return request.contactId;
    }
    const needsChildren = withChildren && !request.kind.endsWith('.create');
    const prng = this.store.changePrng(dataset.id);
    for (let attempt = 0; attempt < 1000; attempt++) {
      const contact = dataset.contactAt(prng.int(0, dataset.contacts.size - 1));
      if (!contact) break;
      if (!needsChildren || dataset.childrenOf(contact.id)[withChildren].length > 0) {
        return contact.id;
      }
    }
    throw badRequest('No contact fits this change; name one with contactId');
  }

  private pick<T>(items: T[], what: string): T {
    if (items.length === 0) throw notFound(`The contact has no ${what}`);

    return items[0];
  }
}
