import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { PermanentDeliveryError, TransientDeliveryError } from '../channel-adapter';
import { MemorySlackPacer, SlackPacer } from './slack-pacer';

export interface SlackClientOptions {
  /** https://slack.com/api/, or a local stand-in in tests. */
  apiUrl: string;
  timeoutMs: number;
  /** Slack allows about one message a second per channel; posts to one channel are spaced this far apart. */
  minIntervalMs: number;
  /** Shares the pace between processes (Redis); by default this process paces itself. */
  pacer?: SlackPacer;
}

/** Slack errors that trying again later may cure. */
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

const EXPLAIN: Record<string, string> = {
  channel_not_found: 'the Slack channel or conversation does not exist, or the app cannot see it',
  not_in_channel: 'the Slack app is not a member of the channel: invite it',
  is_archived: 'the Slack channel is archived',
  invalid_auth: 'the Slack bot token is not valid: reinstall the app',
  account_inactive: 'the Slack bot token belongs to a deactivated app or workspace: reinstall the app',
  token_revoked: 'the Slack bot token was revoked: reinstall the app',
  missing_scope: 'the Slack app lacks a permission (chat:write): reinstall it with the needed scopes',
  msg_too_long: 'the message is too long for Slack',
  no_text: 'the message is empty',
  cannot_dm_bot: 'Slack does not allow messages to another bot',
};

/**
 * chat.postMessage through @slack/web-api, one WebClient per token. The client does not retry by itself: the
 * delivery pipeline owns retries, and a 429's Retry-After becomes a TransientDeliveryError carrying the delay.
 * Posts to one channel go one after another in this process, each waiting for its turn from the pacer (spaced by
 * minIntervalMs, held back after a 429), which with Redis is shared by every process.
 */
export class SlackClient {
  private readonly clients = new Map<string, WebClient>();
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly pacer: SlackPacer;

  constructor(private readonly options: SlackClientOptions) {
    this.pacer = options.pacer ?? new MemorySlackPacer(options.minIntervalMs);
  }

  postMessage(token: string, args: { channel: string; text: string; thread_ts?: string; username?: string }): Promise<{ ts: string; channel: string }> {
    const lane = (this.lanes.get(args.channel) ?? Promise.resolve()).catch(() => undefined).then(() => this.post(token, args));
    this.lanes.set(args.channel, lane);
    void lane.catch(() => undefined).then(() => this.lanes.get(args.channel) === lane && this.lanes.delete(args.channel));
    return lane;
  }

  /** The email of a Slack user (users.info, scope users:read.email), to map them to an agent. */
  async userEmail(token: string, userId: string): Promise<string | undefined> {
    try {
      const res = await this.client(token).users.info({ user: userId });
      return res.user?.profile?.email ?? undefined;
    } catch (e) {
      throw toDeliveryError(e);
    }
  }

  private async post(token: string, args: { channel: string; text: string; thread_ts?: string; username?: string }): Promise<{ ts: string; channel: string }> {
    await this.pacer.take(args.channel);
    try {
      const res = await this.client(token).chat.postMessage({ ...args, unfurl_links: false, unfurl_media: false });
      if (!res.ts) throw new PermanentDeliveryError('Slack accepted the message but gave no ts');
      return { ts: res.ts, channel: res.channel ?? args.channel };
    } catch (e) {
      const err = toDeliveryError(e);
      if (err instanceof TransientDeliveryError && err.retryAfterMs) await this.pacer.hold(args.channel, err.retryAfterMs);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.pacer.close();
  }

  private client(token: string): WebClient {
    let client = this.clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: this.options.apiUrl,
        timeout: this.options.timeoutMs,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        logLevel: LogLevel.ERROR,
      });
      this.clients.set(token, client);
    }
    return client;
  }
}

export function toDeliveryError(e: unknown): Error {
  if (e instanceof PermanentDeliveryError || e instanceof TransientDeliveryError) return e;
  const err = e as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  switch (err.code) {
    case ErrorCode.RateLimitedError:
      return new TransientDeliveryError(`Slack is rate limiting this app (retry after ${err.retryAfter ?? '?'} s)`, (err.retryAfter ?? 1) * 1000);
    case ErrorCode.PlatformError: {
      const code = err.data?.error ?? 'unknown_error';
      const reason = `Slack refused the message: ${EXPLAIN[code] ?? code}`;
      return TRANSIENT.has(code) ? new TransientDeliveryError(reason) : new PermanentDeliveryError(reason);
    }
    case ErrorCode.HTTPError:
      return (err.statusCode ?? 500) >= 500 || err.statusCode === 408
        ? new TransientDeliveryError(`Slack answered HTTP ${err.statusCode}`)
        : new PermanentDeliveryError(`Slack answered HTTP ${err.statusCode}`);
    case ErrorCode.RequestError:
      return new TransientDeliveryError(`Slack unreachable: ${err.message ?? 'request failed'}`);
    default:
      return new TransientDeliveryError(`Slack call failed: ${err.message ?? String(e)}`);
  }
}
