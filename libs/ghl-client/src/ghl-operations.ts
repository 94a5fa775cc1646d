import type { operations as ContactOperations } from './generated/contacts';
import type { operations as LocationOperations } from './generated/locations';
import type { operations as OAuthOperations } from './generated/oauth';

/** Every operation of the vendored specs, by its `operationId`. */
export type GhlOperations = ContactOperations & LocationOperations & OAuthOperations;
export type GhlOperationId = keyof GhlOperations;

type JsonOf<Entry> = Entry extends { content: { 'application/json': infer Body } } ? Body : void;
type Responses<Id extends GhlOperationId> = GhlOperations[Id]['responses'];
type SuccessStatus<Id extends GhlOperationId> = keyof Responses<Id> & (200 | 201);

/** The JSON body of an operation's success answer (200 or 201), as the spec defines it. */
export type GhlResponseOf<Id extends GhlOperationId> = JsonOf<Responses<Id>[SuccessStatus<Id>]>;

/** The JSON request body of an operation. */
export type GhlBodyOf<Id extends GhlOperationId> = GhlOperations[Id] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** The query parameters of an operation. */
export type GhlQueryOf<Id extends GhlOperationId> = GhlOperations[Id]['parameters'] extends {
  query?: infer Query;
}
  ? NonNullable<Query>
  : never;
