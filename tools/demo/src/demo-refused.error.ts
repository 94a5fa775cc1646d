/** A start the demo refuses: its message says what is in use and what to do, and needs no stack. */
export class DemoRefusedError extends Error {
  override name = 'DemoRefusedError';
}
