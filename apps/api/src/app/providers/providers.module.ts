import { Module } from '@nestjs/common';
import { ProviderFeedbackController } from './provider-feedback.controller';

/** Webhooks of the notification providers (delivery reports, bounces, complaints). */
@Module({ controllers: [ProviderFeedbackController] })
export class ProvidersModule {}
