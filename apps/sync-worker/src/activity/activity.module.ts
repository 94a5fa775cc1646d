import { Module } from '@nestjs/common';

import { ActivityTimeline } from './activity-timeline.service';

/** Contacts' activity timelines (kept by database triggers, read here). */
@Module({
  providers: [ActivityTimeline],
  exports: [ActivityTimeline],
})
export class ActivityModule {}
