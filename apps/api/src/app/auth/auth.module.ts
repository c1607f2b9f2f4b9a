import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { UsersModule } from '../users/users.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AuthController, MeController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login.throttle';
import { SessionResolver } from './session.resolver';

@Module({})
export class AuthModule {
  static forRoot(options: { jwtSecret: string; accessTokenTtlSeconds: number }): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [
        UsersModule,
        JwtModule.register({
          // A KeyObject made once: given a string, jsonwebtoken tries (and fails) to parse it as a
          // public key on every verify, which cost ~10% of the api's CPU in the bench.
          secret: createSecretKey(Buffer.from(options.jwtSecret, 'utf8')) as unknown as string,
          signOptions: { expiresIn: options.accessTokenTtlSeconds, algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        }),
      ],
      controllers: [AuthController, MeController],
      providers: [AuthService, SessionResolver, LoginThrottle, AdminBootstrapService, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [SessionResolver, LoginThrottle],
    };
  }
}
