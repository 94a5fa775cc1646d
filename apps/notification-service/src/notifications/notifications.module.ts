import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { Appointment, Contact, Notification, Task } from '@sm/entities';

import { ChannelsModule } from '../channels/channels.module';
import { DeliveryQueues } from '../delivery/delivery-queues';
import { DeliveryWorkers } from '../delivery/delivery-workers';
import { DeliveryService } from '../delivery/delivery.service';

import { AdminAlertService } from './admin-alert.service';
import { ContactNoticeService } from './contact-notice.service';
import { NotificationIntakeService } from './notification-intake.service';
import { NotificationsProcessor } from './notifications.processor';
import { TaskCompletedService } from './task-completed.service';

/**
 * Intake (events in, one row per dedupe key) and delivery (rows out through their channel) in
 * one module: a delivery that gives up raises an admin alert through the intake.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Notification, Task, Contact, Appointment]), ChannelsModule],
  providers: [
    NotificationIntakeService,
    TaskCompletedService,
    AdminAlertService,
    ContactNoticeService,
    NotificationsProcessor,
    DeliveryQueues,
    DeliveryService,
    DeliveryWorkers,
  ],
})
export class NotificationsModule {}
