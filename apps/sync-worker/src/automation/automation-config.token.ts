/** DI token of the sync worker's validated config, as the automation module received it. */
export const AUTOMATION_CONFIG = Symbol('AUTOMATION_CONFIG');
