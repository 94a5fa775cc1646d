import type { TriggerEvent } from './rule.types';

/** A record a rule's facts hold: the contact, and the task or appointment the trigger is about. */
export type FactSubject = 'contact' | 'task' | 'appointment';

/**
 * The fields of each subject that conditions and placeholders may read: the columns of
 * SolarMarket's records, under their property names, as the rule engine loads them. `keyed`
 * fields are maps read one key at a time (`contact.customFields.<fieldId>`); the key is the rest
 * of the path, dots included, as GHL's field keys have one (`contact.roof_type`). The contact's
 * `dndSettings` is left out: its values are objects per channel, which no condition compares and
 * no placeholder renders (`contact.dnd` is the flag). A spec in the sync worker fails when a
 * record gains or loses a column this list does not follow.
 */
export const RULE_FIELDS: Record<FactSubject, { fields: string[]; keyed: string[] }> = {
  contact: {
    fields: [
      'id',
      'locationId',
      'name',
      'firstName',
      'lastName',
      'email',
      'phone',
      'phoneExtension',
      'companyName',
      'source',
      'type',
      'assignedTo',
      'timezone',
      'dnd',
      'tags',
      'address1',
      'city',
      'state',
      'country',
      'postalCode',
      'website',
      'dateOfBirth',
      'businessId',
      'ghlDateAdded',
      'ghlDateUpdated',
      'sourceVersionAt',
      'deletedAt',
      'syncedAt',
      'childrenVersionAt',
      'childrenFetchedAt',
    ],
    keyed: ['customFields', 'customFieldsByKey'],
  },
  task: {
    fields: [
      'id',
      'locationId',
      'contactId',
      'title',
      'body',
      'assignedTo',
      'dueDate',
      'completed',
      'completedAt',
      'sourceVersionAt',
      'deletedAt',
      'syncedAt',
    ],
    keyed: [],
  },
  appointment: {
    fields: [
      'id',
      'locationId',
      'contactId',
      'calendarId',
      'title',
      'status',
      'assignedUserId',
      'address',
      'notes',
      'startTime',
      'endTime',
      'ghlDateUpdated',
      'sourceVersionAt',
      'deletedAt',
      'syncedAt',
    ],
    keyed: [],
  },
};

/** What each trigger's facts hold (see `RuleFacts`): the contact, and its task or appointment. */
export const TRIGGER_SUBJECTS: Record<TriggerEvent, FactSubject[]> = {
  'contact.created': ['contact'],
  'contact.stale': ['contact'],
  'task.completed': ['contact', 'task'],
  'task.open': ['contact', 'task'],
  'appointment.status': ['contact', 'appointment'],
};

/** A key of a keyed field: a custom field's id, or its key (`contact.roof_type`). */
const KEY = '[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*';
const KEY_PATTERN = new RegExp(`^${KEY}$`);

const ALL_SUBJECTS = Object.keys(RULE_FIELDS) as FactSubject[];

/**
 * Why `field` is not a path a rule with this trigger can read (any trigger, when it is not
 * known), naming it and what the rule can read instead; undefined when it is one.
 */
export function fieldProblem(field: string, event?: TriggerEvent): string | undefined {
  const subjects = event ? TRIGGER_SUBJECTS[event] : ALL_SUBJECTS;
  const rule = event ? `a ${event} rule` : 'a rule';
  const [subject, name = '', ...key] = field.split('.');
  if (!isSubject(subject)) return `${field} is not a field: ${rule} reads ${readable(subjects)}`;
  if (!subjects.includes(subject)) {
    return `${field} reads the ${subject}, which ${rule} has not: it reads ${readable(subjects)}`;
  }
  const { fields, keyed } = RULE_FIELDS[subject];
  if (keyed.includes(name)) {
    return KEY_PATTERN.test(key.join('.'))
      ? undefined
      : `${field} needs a key: ${subject}.${name}.<${keyName(name)}>`;
  }
  if (key.length === 0 && fields.includes(name)) return undefined;
  const nearest = nearestField(subject, name);
  const hint = nearest ? ` (did you mean ${subject}.${nearest}?)` : '';

  return `${field} is not a ${subject} field${hint}; ${subject} fields: ${fieldList(subject)}`;
}

/**
 * A placeholder at the start of the text, `{{contact.name}}` or `{{ contact.name }}`, its field
 * captured. Sticky: set `lastIndex` to where it is looked for.
 */
const PLACEHOLDER_AT = /\{\{\s*([^{}]*?)\s*\}\}/y;

/** Every placeholder of a text. Global: for `matchAll` and `replace`, which reset it. */
export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * What is wrong with the placeholders of a title or body, one line each: a placeholder naming
 * no field the trigger gives, a `{{` that starts no placeholder (`{{contact.name`), a `}}` that
 * ends none. A lone `{` or `}` is text.
 */
export function placeholderProblems(text: string, event?: TriggerEvent): string[] {
  const problems: string[] = [];
  for (let at = 0; at < text.length; at += 1) {
    if (text.startsWith('}}', at)) {
      problems.push(`has a }} that ends no placeholder, at character ${at + 1} ${EXAMPLE}`);
      at += 1;
    }
    if (!text.startsWith('{{', at)) continue;
    PLACEHOLDER_AT.lastIndex = at;
    const placeholder = PLACEHOLDER_AT.exec(text);
    if (!placeholder) {
      problems.push(`has a {{ without its }}, at character ${at + 1} ${EXAMPLE}`);
      at += 1;
      continue;
    }
    const [whole, field] = placeholder;
    const problem = field === '' ? 'names no field' : fieldProblem(field, event);
    if (problem) problems.push(`${whole}: ${problem}`);
    at += whole.length - 1;
  }

  return problems;
}

const EXAMPLE = '(a placeholder is {{contact.name}})';

/**
 * Regular expressions (as source text, for the JSON schema) of what the validator accepts: a
 * field path of these subjects, and a text whose every `{{`…`}}` is a placeholder of one.
 */
export function fieldPathSource(subjects: readonly FactSubject[] = ALL_SUBJECTS): string {
  const paths = subjects.flatMap((subject) => {
    const { fields, keyed } = RULE_FIELDS[subject];
    const plain = `${subject}\\.(?:${fields.join('|')})`;

    return keyed.length > 0 ? [plain, `${subject}\\.(?:${keyed.join('|')})\\.${KEY}`] : [plain];
  });

  return `(?:${paths.join('|')})`;
}

export function placeholderTextSource(subjects: readonly FactSubject[] = ALL_SUBJECTS): string {
  const placeholder = `\\{\\{\\s*${fieldPathSource(subjects)}\\s*\\}\\}`;

  return `(?:[^{}]|\\{(?!\\{)|\\}(?!\\})|${placeholder})*`;
}

function isSubject(value: string): value is FactSubject {
  return Object.hasOwn(RULE_FIELDS, value);
}

function readable(subjects: readonly FactSubject[]): string {
  return subjects.map((subject) => `${subject}.*`).join(' and ');
}

function keyName(field: string): string {
  return field === 'customFieldsByKey' ? 'fieldKey' : 'fieldId';
}

function fieldList(subject: FactSubject): string {
  const { fields, keyed } = RULE_FIELDS[subject];

  return [...fields, ...keyed.map((name) => `${name}.<${keyName(name)}>`)].join(', ');
}

/** The field a typo most likely meant: two edits away at most, ignoring case. */
function nearestField(subject: FactSubject, name: string): string | undefined {
  if (!name) return undefined;
  const { fields, keyed } = RULE_FIELDS[subject];
  let best: { field: string; distance: number } | undefined;
  for (const field of [...fields, ...keyed]) {
    const distance = editDistance(field.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { field, distance };
  }

  return best?.field;
}

/** Levenshtein distance, counting a swap of neighbours (`nmae`, `name`) as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      const isSwap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (isSwap) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }

  return rows[a.length][b.length];
}
