import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AgentsModule } from '../agents/agents.module';
import { Env } from '../config/env';
import { resolveAuthSecret } from './auth-secret';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { StaffGuard } from './staff.guard';

/**
 * Staff authentication, global: any module's controller can `@UseGuards(StaffGuard)` and any gateway can call
 * `AuthService.verify(token)` without importing anything.
 */
@Global()
@Module({
  imports: [
    AgentsModule,
    JwtModule.registerAsync({
      inject: [Env],
      useFactory: (env: Env) => ({ secret: resolveAuthSecret(env), signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, StaffGuard],
  exports: [AuthService, StaffGuard, AgentsModule],
})
export class AuthModule {}
