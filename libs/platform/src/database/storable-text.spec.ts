import { storableJson, storableText } from './storable-text';

describe('storableJson', () => {
  it('replaces NUL and lone surrogate escapes in keys and values, at any depth', () => {
    const json =
      String.raw`{"firstName":"Ann\ud83d","tags":["hot\uD83D","\udc00x"],"a\u0000b":1,` +
      String.raw`"deep":{"list":[{"k\ud800":"v\u0000"}]}}`;

    const stored = JSON.parse(storableJson(json));

    expect(stored).toEqual({
      firstName: 'Ann\ufffd',
      tags: ['hot\ufffd', '\ufffdx'],
      'a\ufffdb': 1,
      deep: { list: [{ 'k\ufffd': 'v\ufffd' }] },
    });
  });

  it('keeps escaped pairs, escaped backslashes and every other byte of the text', () => {
    const json =
      String.raw`{"sun":"\ud83c\udf1e","raw":"🌞","slash":"\\u0000","odd":"\\\ud800",` +
      String.raw`"big":12345678901234567890123,"pair then lone":"\ud83c\udf1e\udf1e"}`;

    const stored = storableJson(json);

    expect(stored).toBe(
      String.raw`{"sun":"\ud83c\udf1e","raw":"🌞","slash":"\\u0000","odd":"\\\ufffd",` +
        String.raw`"big":12345678901234567890123,"pair then lone":"\ud83c\udf1e\ufffd"}`,
    );
  });

  it('replaces a lone high surrogate followed by a pair, and keeps the pair', () => {
    const stored = JSON.parse(storableJson(String.raw`["\ud83d\ud83c\udf1e"]`));

    expect(stored).toEqual(['\ufffd\ud83c\udf1e']);
  });
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates, and keeps pairs', () => {
    const text = 'a\u0000b \ud800 \udc00 \ud83c\udf1e \udf1e\ud83c';

    expect(storableText(text)).toBe('a\ufffdb \ufffd \ufffd \ud83c\udf1e \ufffd\ufffd');
  });
});
