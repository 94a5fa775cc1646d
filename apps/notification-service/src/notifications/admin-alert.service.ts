import { Injectable, Logger } from '@nestjs/common';

import type { AdminAlertJob } from '@sm/queues';

import { adminAlertEventKey, adminAlertMessage } from '../messages/admin-alert.message';

import { NotificationIntakeService } from './notification-intake.service';

/** Admin alerts: one message on each admin channel per dedupe key. */
@Injectable()
export class AdminAlertService {
  private readonly logger = new Logger(AdminAlertService.name);

  constructor(private readonly intake: NotificationIntakeService) {}

  async raise(alert: AdminAlertJob, jobId?: string): Promise<void> {
    const result = await this.intake.submit({
      eventKey: adminAlertEventKey(alert.dedupeKey),
      recipient: { audience: 'admin', locationId: alert.locationId, team: null },
      kind: alert.kind,
      message: adminAlertMessage(alert),
    });
    const fields = { kind: alert.kind, locationId: alert.locationId, jobId };

    if (result.outcome === 'unrouted') {
      // Someone must act and no channel can tell them: the log is the alert of last resort.
      this.logger.error(
        { ...fields, dedupeKey: alert.dedupeKey },
        'admin alert not sent: no channel',
      );

      return;
    }
    for (const delivery of result.deliveries) {
      this.logger.log({ ...fields, ...delivery }, 'admin alert accepted');
    }
  }
}
