export * from './errors';
export * from './ghl-client.contract';
export * from './ghl-types';
export * from './oauth-client.contract';
