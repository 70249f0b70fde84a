import { Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { resolveAuthSecret } from '../../auth/auth-secret';
import { CasesModule } from '../../cases/cases.module';
import { Env } from '../../config/env';
import { DeliveryModule } from '../../delivery/delivery.module';
import { DepartmentsModule } from '../../departments/departments.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { MessagesModule } from '../../messages/messages.module';
import { ResidentsModule } from '../../residents/residents.module';
import { VisitorTokens } from './visitor-token';
import { WebchatChannelAdapter } from './webchat.adapter';
import { WebchatAvailabilityService } from './webchat-availability.service';
import { WebchatController } from './webchat.controller';
import { WebchatFollowUp } from './webchat-follow-up.service';
import { WebchatGateway } from './webchat.gateway';
import { WebchatListeners } from './webchat.listeners';
import { WebchatOpeningTimes } from './webchat-opening-times.service';
import { WebchatRateLimits } from './webchat-rate-limits';
import { WebchatReadRepository } from './webchat-read.repository';
import { WebchatReadState } from './webchat-read-state.service';
import { WebchatService } from './webchat.service';
import { WebchatSessionService } from './webchat-session.service';
import { WebchatUploads } from './webchat-uploads.service';
import { WebchatVisitorRepository } from './webchat-visitor.repository';

/** The web chat channel: the widget's session endpoint and uploads, the /webchat socket, and its adapter. */
@Module({
  imports: [InboxesModule, IntakeModule, DeliveryModule, MessagesModule, CasesModule, ResidentsModule, DepartmentsModule],
  controllers: [WebchatController],
  providers: [
    WebchatGateway,
    WebchatService,
    WebchatSessionService,
    WebchatAvailabilityService,
    WebchatReadState,
    WebchatListeners,
    WebchatOpeningTimes,
    WebchatFollowUp,
    WebchatUploads,
    WebchatChannelAdapter,
    WebchatReadRepository,
    WebchatVisitorRepository,
    // The hub's own secret signs visitor tokens (their audience keeps them apart from staff tokens).
    { provide: VisitorTokens, inject: [Env], useFactory: (env: Env) => new VisitorTokens(new JwtService({ secret: resolveAuthSecret(env), signOptions: { algorithm: 'HS256' } })) },
    { provide: WebchatRateLimits, inject: [Env], useFactory: (env: Env) => new WebchatRateLimits(env) },
  ],
})
export class WebchatChannelModule {}
