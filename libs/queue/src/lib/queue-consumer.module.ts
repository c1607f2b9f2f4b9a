import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobHandlerRegistry, QUEUE_CONSUMER_OPTIONS, QueueConsumerOptions } from './job-handler.registry';

/** Consumes queues with the `@JobHandler` methods of the importing app (the worker). */
@Module({})
export class QueueConsumerModule {
  static forRoot(options: QueueConsumerOptions): DynamicModule {
    return {
      module: QueueConsumerModule,
      imports: [DiscoveryModule],
      providers: [{ provide: QUEUE_CONSUMER_OPTIONS, useValue: options }, JobHandlerRegistry],
    };
  }
}
