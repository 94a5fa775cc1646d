import { ZodError } from 'zod';

import { resolveHealthScoreSettings, storedHealthScoreSettings } from './health-score-settings';

/** The messages a refused override gets, as the settings route answers them (path: message). */
function refusal(body: string): string[] {
  try {
    resolveHealthScoreSettings(JSON.parse(body));
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;

    return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  return [];
}

describe('resolveHealthScoreSettings', () => {
  it('refuses a field named __proto__ at any level it reads, instead of dropping it', () => {
    expect(refusal('{"__proto__":{"recencyFullDays":5}}')).toEqual(['__proto__: not a field name']);
    expect(refusal('{"stageTags":{"__proto__":1}}')).toEqual([
      'stageTags.__proto__: not a field name',
    ]);
    expect(refusal('{"weights":{"__proto__":{}}}')).toContain(
      'weights.__proto__: not a field name',
    );
  });

  it('refuses stage tags that differ only in case, which scoring reads as one', () => {
    expect(refusal('{"stageTags":{"hot":1,"Hot":0.1}}')).toEqual([
      'stageTags: "hot" and "Hot" are one tag (tags are case-insensitive)',
    ]);
  });

  it('keeps taking a plain override over the defaults', () => {
    const settings = resolveHealthScoreSettings(JSON.parse('{"stageTags":{"Hot":1,"cold":0}}'));

    expect(settings.stageTags).toEqual({ Hot: 1, cold: 0 });
    expect(settings.recencyFullDays).toBe(2);
  });

  it('reads settings stored before these checks as they scored then, without failing', () => {
    const stored = JSON.parse(
      '{"__proto__":{"recencyFullDays":5},"stageTags":{"hot":1,"Hot":0.1}}',
    );

    const settings = storedHealthScoreSettings(stored);

    expect(settings.stageTags).toEqual({ hot: 1, Hot: 0.1 });
    expect(settings.recencyFullDays).toBe(2);
  });
});
