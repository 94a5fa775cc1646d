import { z } from 'zod';

import { isPlainObject } from '@sm/automation-rules';

const weight = z.number().int().min(0).max(100);

/**
 * A location's health-score settings. Weights are the points each factor gives at most and add
 * up to 100, so that a contact doing well on every factor scores 100. See docs/health-score.md.
 */
export const healthScoreSettingsSchema = z
  .object({
    weights: z
      .object({
        recency: weight,
        overdueTasks: weight,
        nextAppointment: weight,
        reachability: weight,
        stageTags: weight,
      })
      .strict()
      .refine((weights) => sumOf(weights) === 100, { message: 'weights must add up to 100' }),
    /** A touch at most this many days old gives the full recency points. */
    recencyFullDays: z.number().min(0),
    /** A touch this many days old or older (or none) gives no recency points. */
    recencyZeroDays: z.number().positive(),
    /** This many overdue open tasks take every overdue-task point away. */
    overdueTaskLimit: z.number().int().positive(),
    /** Stage tags (case-insensitive) and the share (0–1) of the stage points each gives. */
    stageTags: z.record(z.string().min(1), z.number().min(0).max(1)),
  })
  .strict()
  .refine((settings) => settings.recencyZeroDays > settings.recencyFullDays, {
    message: 'recencyZeroDays must be greater than recencyFullDays',
    path: ['recencyZeroDays'],
  });

export type HealthScoreSettings = z.infer<typeof healthScoreSettingsSchema>;

export const DEFAULT_HEALTH_SCORE_SETTINGS: HealthScoreSettings = {
  weights: { recency: 30, overdueTasks: 20, nextAppointment: 20, reachability: 15, stageTags: 15 },
  recencyFullDays: 2,
  recencyZeroDays: 30,
  overdueTaskLimit: 3,
  stageTags: {
    customer: 1,
    hot: 1,
    'appointment-set': 0.9,
    qualified: 0.8,
    warm: 0.6,
    lead: 0.4,
    cold: 0.1,
  },
};

/**
 * A location's settings from a partial override: top-level fields replace the defaults (the
 * weights and stage tags as a whole, so that a location's weights always add up as it wrote
 * them). Throws a ZodError naming each bad field.
 */
export function resolveHealthScoreSettings(override: unknown): HealthScoreSettings {
  return withDefaults(overrideSchema.parse(override ?? {}));
}

/**
 * The settings a location stored, read as they were accepted when stored: an override saved
 * before the checks of `overrideSchema` (stage tags differing only in case, a `__proto__` field)
 * still scores as it did, instead of failing every rescore of its location.
 */
export function storedHealthScoreSettings(stored: unknown): HealthScoreSettings {
  return withDefaults(z.record(z.string(), z.unknown()).parse(stored ?? {}));
}

function withDefaults(partial: Record<string, unknown>): HealthScoreSettings {
  return healthScoreSettingsSchema.parse({ ...DEFAULT_HEALTH_SCORE_SETTINGS, ...partial });
}

/**
 * The override as sent, checked for what parsing would otherwise drop without a word: a field
 * named `__proto__` (JSON.parse makes it an ordinary key, but copied into an object it sets the
 * prototype and is gone), and stage tags that differ only in case, of which scoring would keep
 * one and the stored settings show another.
 */
const overrideSchema = z
  .unknown()
  .superRefine((override, context) => {
    if (!isPlainObject(override)) return; // the record below names what it is
    for (const path of prototypeKeys(override)) {
      context.addIssue({ code: 'custom', path, message: 'not a field name' });
    }
    const tags = isPlainObject(override.stageTags) ? Object.keys(override.stageTags) : [];
    const seen = new Map<string, string>();
    for (const tag of tags) {
      const other = seen.get(tag.toLowerCase());
      if (other !== undefined) {
        const message = `"${other}" and "${tag}" are one tag (tags are case-insensitive)`;
        context.addIssue({ code: 'custom', path: ['stageTags'], message });
      }
      seen.set(tag.toLowerCase(), tag);
    }
  })
  .pipe(z.record(z.string(), z.unknown()));

/** Where `__proto__` is an own key, at the top or one object down (weights, stage tags). */
function prototypeKeys(override: Record<string, unknown>): string[][] {
  const isProto = (value: object) => Object.prototype.hasOwnProperty.call(value, '__proto__');
  const paths = isProto(override) ? [['__proto__']] : [];
  for (const [field, value] of Object.entries(override)) {
    if (isPlainObject(value) && isProto(value)) paths.push([field, '__proto__']);
  }

  return paths;
}

function sumOf(weights: Record<string, number>): number {
  return Object.values(weights).reduce((sum, value) => sum + value, 0);
}
