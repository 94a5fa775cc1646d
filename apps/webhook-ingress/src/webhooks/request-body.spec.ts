import { assertJsonContentType } from './request-body';

describe('assertJsonContentType', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=UTF-8',
    'application/json;charset="utf8"',
  ])('accepts %s', (header) => {
    expect(() => assertJsonContentType(header)).not.toThrow();
  });

  it.each([undefined, '', 'text/plain', 'application/jsonp', 'application/json; charset=latin1'])(
    'refuses %s with 415',
    (header) => {
      expect(() => assertJsonContentType(header)).toThrow(
        expect.objectContaining({ statusCode: 415, reason: 'unsupported_media_type' }),
      );
    },
  );
});
