import { Module, OnApplicationShutdown } from '@nestjs/common';
import { AgentsModule } from '../../agents/agents.module';
import { CasesModule } from '../../cases/cases.module';
import { Env } from '../../config/env';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { SlackClient } from './slack-client';
import { RedisSlackPacer } from './slack-pacer';
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
    {
      provide: SlackClient,
      inject: [Env],
      useFactory: (env: Env) =>
        new SlackClient({
          apiUrl: env.SLACK_API_URL,
          timeoutMs: env.DELIVERY_TIMEOUT_MS,
          minIntervalMs: 1000,
          // Several hub processes post to the same channels: with Redis they share one pace.
          pacer: env.REDIS_URL ? new RedisSlackPacer({ redisUrl: env.REDIS_URL, prefix: env.REDIS_PREFIX, intervalSeconds: 1 }) : undefined,
        }),
    },
    {
      provide: SlackAdapter,
      inject: [Env, SlackClient],
      useFactory: (env: Env, client: SlackClient) => new SlackAdapter({ signingSecret: env.SLACK_SIGNING_SECRET, botToken: env.SLACK_BOT_TOKEN, client }),
    },
    SlackRepository,
    SlackMirrorService,
    SlackEventsService,
  ],
  exports: [SlackMirrorService],
})
export class SlackChannelModule implements OnApplicationShutdown {
  constructor(private readonly client: SlackClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
