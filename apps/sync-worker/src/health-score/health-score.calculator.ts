import type { HealthScoreFactor } from '@sm/entities';

import type { HealthScoreSettings } from './health-score-settings';

/** What a contact's score is computed from, read from the records (or GHL, on a refresh). */
export interface HealthScoreInputs {
  email: string | null;
  phone: string | null;
  dnd: boolean;
  tags: string[];
  /** The latest note, completed task or attended appointment. */
  lastTouchAt: Date | null;
  overdueOpenTasks: number;
  /** The earliest upcoming appointment that is not cancelled. */
  nextAppointmentAt: Date | null;
}

export interface HealthScore {
  score: number;
  factors: HealthScoreFactor[];
}

const DAY_MS = 86_400_000;

/** The score (0–100) and each factor's share of it. Pure: `now` is the only clock. */
export function computeHealthScore(
  inputs: HealthScoreInputs,
  settings: HealthScoreSettings,
  now: Date,
): HealthScore {
  const factors = [
    recency(inputs, settings, now),
    overdueTasks(inputs, settings),
    nextAppointment(inputs, settings),
    reachability(inputs, settings),
    stageTags(inputs, settings),
  ];
  const total = factors.reduce((sum, factor) => sum + factor.points, 0);

  return { score: Math.max(0, Math.min(100, Math.round(total))), factors };
}

function factor(
  name: string,
  weight: number,
  share: number,
  detail: Record<string, unknown>,
): HealthScoreFactor {
  const points = Math.round(weight * Math.max(0, Math.min(1, share)) * 10) / 10;

  return { factor: name, weight, points, detail };
}

function recency(inputs: HealthScoreInputs, settings: HealthScoreSettings, now: Date) {
  const weight = settings.weights.recency;
  if (!inputs.lastTouchAt) return factor('recency', weight, 0, { lastTouchAt: null });

  const days = Math.max(0, (now.getTime() - inputs.lastTouchAt.getTime()) / DAY_MS);
  const span = settings.recencyZeroDays - settings.recencyFullDays;
  const share = days <= settings.recencyFullDays ? 1 : 1 - (days - settings.recencyFullDays) / span;
  const detail = {
    lastTouchAt: inputs.lastTouchAt.toISOString(),
    daysSinceLastTouch: Math.round(days * 10) / 10,
  };

  return factor('recency', weight, share, detail);
}

function overdueTasks(inputs: HealthScoreInputs, settings: HealthScoreSettings) {
  const share = 1 - inputs.overdueOpenTasks / settings.overdueTaskLimit;

  return factor('overdueTasks', settings.weights.overdueTasks, share, {
    overdueOpenTasks: inputs.overdueOpenTasks,
  });
}

function nextAppointment(inputs: HealthScoreInputs, settings: HealthScoreSettings) {
  const isBooked = inputs.nextAppointmentAt !== null;

  return factor('nextAppointment', settings.weights.nextAppointment, isBooked ? 1 : 0, {
    nextAppointmentAt: inputs.nextAppointmentAt?.toISOString() ?? null,
  });
}

function reachability(inputs: HealthScoreInputs, settings: HealthScoreSettings) {
  const hasEmail = Boolean(inputs.email);
  const hasPhone = Boolean(inputs.phone);
  const isReachable = (hasEmail || hasPhone) && !inputs.dnd;

  return factor('reachability', settings.weights.reachability, isReachable ? 1 : 0, {
    hasEmail,
    hasPhone,
    dnd: inputs.dnd,
  });
}

function stageTags(inputs: HealthScoreInputs, settings: HealthScoreSettings) {
  const shares = new Map(
    Object.entries(settings.stageTags).map(([tag, share]) => [tag.toLowerCase(), share]),
  );
  let best: { tag: string | null; share: number } = { tag: null, share: 0 };
  for (const tag of inputs.tags) {
    const share = shares.get(tag.toLowerCase());
    if (share !== undefined && share > best.share) best = { tag, share };
  }

  return factor('stageTags', settings.weights.stageTags, best.share, { stageTag: best.tag });
}
