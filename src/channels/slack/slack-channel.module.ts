import { Module } from '@nestjs/common';
import { AgentsModule } from '../../agents/agents.module';
import { CasesModule } from '../../cases/cases.module';
import { Env } from '../../config/env';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { SlackClient } from './slack-client';
import { SlackEventsService } from './slack-events.service';
import { SlackMirrorService } from './slack-mirror.service';
import { SlackAdapter } from './slack.adapter';
import { SlackController } from './slack.controller';
import { SlackRepository } from './slack.repository';

/** Slack: DMs to the app as the `slack` channel, and the staff mirror of cases into departments' channels. */
@Module({
  imports: [InboxesModule, IntakeModule, AgentsModule, CasesModule],
  controllers: [SlackController],
  providers: [
    { provide: SlackClient, inject: [Env], useFactory: (env: Env) => new SlackClient({ apiUrl: env.SLACK_API_URL, timeoutMs: env.DELIVERY_TIMEOUT_MS, minIntervalMs: 1000 }) },
    {
      provide: SlackAdapter,
      inject: [Env, SlackClient],
      useFactory: (env: Env, client: SlackClient) => new SlackAdapter({ signingSecret: env.SLACK_SIGNING_SECRET, botToken: env.SLACK_BOT_TOKEN, client }),
    },
    SlackRepository,
    SlackMirrorService,
    SlackEventsService,
  ],
})
export class SlackChannelModule {}
