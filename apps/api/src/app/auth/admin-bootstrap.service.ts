import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { API_CONFIG, ApiConfig } from '../api.config';
import { UsersService } from '../users/users.service';

/** Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when no user has that email. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.adminBootstrap;
    if (!admin) return;
    const created = await this.users.createIfAbsent({
      email: admin.email,
      password: admin.password,
      displayName: 'Administrator',
      role: 'admin',
    });
    if (created) this.logger.log({ email: admin.email }, 'created the bootstrap admin');
  }
}
