import { jsonbParameter } from './storable-text';

describe('jsonbParameter', () => {
  it('is the JSON text of the value, with NUL and lone surrogates as U+FFFD, pairs kept', () => {
    const value = { title: 'a\u0000b', key: { 'x\ud83d': ['\udc00', 'ok \ud83c\udf1e', 1e21] } };

    expect(JSON.parse(jsonbParameter(value) as string)).toEqual({
      title: 'a\ufffdb',
      key: { 'x\ufffd': ['\ufffd', 'ok \ud83c\udf1e', 1e21] },
    });
    expect(jsonbParameter({ plain: 'text' })).toBe('{"plain":"text"}');
    expect(jsonbParameter(undefined)).toBeNull();
  });
});
