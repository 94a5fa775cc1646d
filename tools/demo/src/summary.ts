import { DemoReport } from './scenario';

/** The human summary `npm start` prints; `--json` prints the report itself instead. */
export function formatSummary(report: DemoReport): string {
  const rows = Object.entries(report.records).map(
    ([kind, { synced, sandbox }]) =>
      `  ${kind.padEnd(13)} ${String(synced).padStart(6)}  ${String(sandbox).padStart(7)}  ${
        synced === sandbox ? 'ok' : 'DIFFERENT'
      }`,
  );

  return [
    '',
    `SolarMarket ⇄ GHL sandbox — location ${report.locationId}`,
    `  scopes granted: ${report.scopes.join(' ')}`,
    '',
    '  records        synced  sandbox',
    ...rows,
    '',
    `  first sync:    ${report.firstSync.records} records in ${(report.firstSync.durationMs / 1000).toFixed(1)} s ` +
      `(${report.firstSync.recordsPerSecond} records/s, ${report.firstSync.ghlCalls} GHL calls)`,
    `  changes made:  ${report.changesApplied.join(', ')}`,
    `  webhooks:      ${report.webhooks.sent} sent by the sandbox, ${report.webhooks.accepted} accepted; ` +
      `forged delivery ${report.webhooks.forgedRefused ? 'refused (401, nothing stored)' : 'NOT REFUSED'}`,
    `  notifications: ${report.notificationsDelivered} delivered to the team channel`,
    `  sync-completed events published: ${report.syncCompletedPublished}`,
    `  time taken:    ${(report.totalMs / 1000).toFixed(1)} s`,
    `  result:        ${report.inSync && report.webhooks.forgedRefused ? 'IN SYNC' : 'NOT IN SYNC'}`,
    '',
  ].join('\n');
}
