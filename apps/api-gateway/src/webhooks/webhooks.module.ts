import { Module } from '@nestjs/common';
import { ReadsModule } from '../reads.module.js';
import { DeliveryWorker } from './delivery-worker.js';
import { EventFeed } from './event-feed.js';
import { LiveController } from './live.controller.js';
import { WebhooksController } from './webhooks.controller.js';
import { Webhooks } from './webhooks.service.js';

/** Webhook subscriptions and deliveries (BullMQ), and live status over Server-Sent Events. */
@Module({
  imports: [ReadsModule],
  providers: [Webhooks, DeliveryWorker, EventFeed],
  controllers: [WebhooksController, LiveController],
})
export class WebhooksModule {}
