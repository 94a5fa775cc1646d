export * from './rule-evaluator';
export * from './rule-fields';
export * from './rule-validator';
export * from './rule.schema';
export * from './rule.types';
export * from './rule-templates';
