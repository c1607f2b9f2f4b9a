import { BeforeApplicationShutdown, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { MessagesModule } from '../messages/messages.module';
import { OperatorsModule } from '../operators/operators.module';
import { UsersModule } from '../users/users.module';
import { DemoSchoolSeeder } from './demo-school.seeder';
import { DemoTrafficService } from './demo-traffic.service';

/**
 * DEMO_DATA (development only): a first run that is alive. Imported only when the flag is on.
 * Seeding is awaited before the api listens, so once /health answers the demo logins work.
 */
@Module({
  imports: [UsersModule, ConversationsModule, MessagesModule, OperatorsModule],
  providers: [DemoSchoolSeeder, DemoTrafficService],
})
export class DemoModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DemoModule.name);

  constructor(
    private readonly seeder: DemoSchoolSeeder,
    private readonly traffic: DemoTrafficService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      const school = await this.seeder.seedIfEmpty();
      await this.traffic.start(school?.toRead);
    } catch (error) {
      // A demo that could not load must not keep the api down; a database left half-seeded is not seeded again.
      this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'could not load the demo school; drop the database to try again');
    }
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.traffic.stop();
  }
}
