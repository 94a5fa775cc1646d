import { DemoReport } from './scenario';

/** The human summary `npm start` prints; `--json` prints the report itself instead. */
export function formatSummary(report: DemoReport): string {
  const { firstSync, webhooks } = report;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const forged = webhooks.forgedRefused ? 'refused (401, nothing stored)' : 'NOT REFUSED';
  const healthy = report.inSync && webhooks.forgedRefused;
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
    `  first sync:    ${firstSync.records} records in ${seconds(firstSync.durationMs)} ` +
      `(${firstSync.recordsPerSecond} records/s, ${firstSync.ghlCalls} GHL calls)`,
    `  changes made:  ${report.changesApplied.join(', ')}`,
    `  webhooks:      ${webhooks.sent} sent by the sandbox, ${webhooks.accepted} accepted; ` +
      `forged delivery ${forged}`,
    `  notifications: ${report.notificationsDelivered} delivered to the team channel`,
    `  sync-completed: ${report.syncCompleted.published} events published, ` +
      `${report.syncCompleted.received} received by the demo consumer`,
    `  time taken:    ${seconds(report.totalMs)}`,
    `  result:        ${healthy ? 'IN SYNC' : 'NOT IN SYNC'}`,
    '',
  ].join('\n');
}
