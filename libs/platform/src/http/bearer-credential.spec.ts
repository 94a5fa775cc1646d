import { bearerCredential } from './bearer-credential';

describe('bearerCredential', () => {
  it('reads the credential whatever the case of the scheme', () => {
    const headers = ['Bearer tok-1', 'bearer tok-1', 'BEARER tok-1', 'bEaReR   tok-1'];

    expect(headers.map(bearerCredential)).toEqual(['tok-1', 'tok-1', 'tok-1', 'tok-1']);
  });

  it('takes a tab after the scheme, and leaves whitespace around the credential out', () => {
    const headers = ['Bearer\ttok-1', 'Bearer \t tok-1 \t', 'Bearer tok 1'];

    expect(headers.map(bearerCredential)).toEqual(['tok-1', 'tok-1', 'tok 1']);
  });

  it('finds none in another scheme, a bare token, an empty one or no header', () => {
    const headers = ['Basic dG9rOjE=', 'tok-1', 'Bearer', 'Bearer ', 'Bearertok-1', undefined, 7];

    expect(headers.map(bearerCredential)).toEqual(headers.map(() => undefined));
  });
});
