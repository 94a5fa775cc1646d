import { computeHealthScore, HealthScoreInputs } from './health-score.calculator';
import { DEFAULT_HEALTH_SCORE_SETTINGS, resolveHealthScoreSettings } from './health-score-settings';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

/** A contact doing well on every factor. */
const healthy = (overrides: Partial<HealthScoreInputs> = {}): HealthScoreInputs => ({
  email: 'ada@example.com',
  phone: '+14155552671',
  dnd: false,
  tags: ['hot'],
  lastTouchAt: daysAgo(1),
  overdueOpenTasks: 0,
  nextAppointmentAt: new Date('2026-03-05T12:00:00.000Z'),
  ...overrides,
});
const score = (inputs: HealthScoreInputs, settings = DEFAULT_HEALTH_SCORE_SETTINGS) =>
  computeHealthScore(inputs, settings, NOW);
const points = (inputs: HealthScoreInputs, factor: string) =>
  score(inputs).factors.find((entry) => entry.factor === factor)?.points;

describe('the health score', () => {
  it('is 100 for a contact doing well on every factor, with each factor named', () => {
    const result = score(healthy());

    expect(result.score).toBe(100);
    expect(result.factors.map((factor) => factor.factor)).toEqual([
      'recency',
      'overdueTasks',
      'nextAppointment',
      'reachability',
      'stageTags',
    ]);
  });

  it('loses recency linearly between the full and the zero day', () => {
    expect(points(healthy({ lastTouchAt: daysAgo(2) }), 'recency')).toBe(30);
    expect(points(healthy({ lastTouchAt: daysAgo(16) }), 'recency')).toBe(15);
    expect(points(healthy({ lastTouchAt: daysAgo(45) }), 'recency')).toBe(0);
    expect(points(healthy({ lastTouchAt: null }), 'recency')).toBe(0);
  });

  it('takes a share of the overdue-task points per overdue open task', () => {
    expect(points(healthy({ overdueOpenTasks: 1 }), 'overdueTasks')).toBeCloseTo(13.3);
    expect(points(healthy({ overdueOpenTasks: 3 }), 'overdueTasks')).toBe(0);
    expect(points(healthy({ overdueOpenTasks: 9 }), 'overdueTasks')).toBe(0);
  });

  it('gives the appointment points only while a next appointment is booked', () => {
    expect(points(healthy({ nextAppointmentAt: null }), 'nextAppointment')).toBe(0);
    expect(score(healthy({ nextAppointmentAt: null })).score).toBe(80);
  });

  it('counts a contact reachable with an email or a phone, and not under DND', () => {
    expect(points(healthy({ email: null }), 'reachability')).toBe(15);
    expect(points(healthy({ email: null, phone: null }), 'reachability')).toBe(0);
    expect(points(healthy({ dnd: true }), 'reachability')).toBe(0);
  });

  it('scores the best stage tag, whatever its case', () => {
    expect(points(healthy({ tags: ['Warm', 'cold'] }), 'stageTags')).toBe(9);
    expect(points(healthy({ tags: ['newsletter'] }), 'stageTags')).toBe(0);
  });

  it("uses a location's own weights", () => {
    const settings = resolveHealthScoreSettings({
      weights: { recency: 0, overdueTasks: 0, nextAppointment: 0, reachability: 100, stageTags: 0 },
    });

    expect(score(healthy({ lastTouchAt: null, nextAppointmentAt: null }), settings).score).toBe(
      100,
    );
    expect(score(healthy({ dnd: true }), settings).score).toBe(0);
  });

  it('refuses weights that do not add up to 100, and unknown fields', () => {
    const weights = { recency: 50, overdueTasks: 20, nextAppointment: 20, reachability: 15 };

    expect(() => resolveHealthScoreSettings({ weights: { ...weights, stageTags: 15 } })).toThrow(
      /add up to 100/,
    );
    expect(() => resolveHealthScoreSettings({ bonus: 1 })).toThrow();
    expect(() => resolveHealthScoreSettings({ recencyFullDays: 40 })).toThrow(/recencyZeroDays/);
  });
});
