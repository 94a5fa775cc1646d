import { getMetadataArgsStorage } from 'typeorm';

import { FactSubject, RULE_FIELDS } from '@sm/automation-rules';
import { Appointment, Contact, Task } from '@sm/entities';

/**
 * Columns the rule engine loads that rules may not name: objects per channel, no value; and the
 * timeline's bookkeeping of what SolarMarket first saw, which `task.completed` and
 * `appointment.status` rules already read as it happens.
 */
const NOT_FOR_RULES: Record<FactSubject, string[]> = {
  contact: ['dndSettings', 'firstVersionAt'],
  task: ['firstVersionAt', 'completedAtFirstSight'],
  appointment: ['firstVersionAt', 'statusAtFirstSight'],
};

describe('the fields rules may name', () => {
  it.each([
    ['contact', Contact],
    ['task', Task],
    ['appointment', Appointment],
  ] as const)('are the columns of the %s the rule engine loads', (subject, entity) => {
    const columns = getMetadataArgsStorage()
      .columns.filter((column) => column.target === entity)
      .map((column) => column.propertyName);
    const { fields, keyed } = RULE_FIELDS[subject];

    const named = [...fields, ...keyed, ...NOT_FOR_RULES[subject]];

    expect([...named].sort()).toEqual([...columns].sort());
  });
});
