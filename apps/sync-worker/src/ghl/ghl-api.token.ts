/** DI token of the `GhlApi` the processors call GHL through. */
export const GHL_API = Symbol('GHL_API');
