import { verifySlackRequest } from '@slack/bolt';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { ChannelAdapter, InboundMessage, InboxConfig, OutboundMessage, PermanentDeliveryError, RawRequest } from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { SlackClient } from './slack-client';
import { classifySlackEnvelope } from './slack-events';

export interface SlackAdapterOptions {
  signingSecret?: string;
  /** Used when the inbox has no settings.botToken of its own. */
  botToken?: string;
  client: SlackClient;
}

/** Slack's replay window: a request whose timestamp is further than this from now is refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/**
 * Slack as a resident-facing channel: direct messages to the app become cases, and replies go back to the same
 * person's DM with chat.postMessage. A Slack inbox's address is the workspace's team id; its settings may hold
 * `botToken` (else SLACK_BOT_TOKEN).
 */
@ChannelAdapterProvider()
export class SlackAdapter implements ChannelAdapter {
  readonly channel = Channel.Slack;

  constructor(private readonly options: SlackAdapterOptions) {}

  /** Signature over `v0:<timestamp>:<raw body>` (Bolt's verifySlackRequest) and the 5-minute window both ways. */
  verify(req: RawRequest): void {
    const secret = this.options.signingSecret;
    if (!secret) throw new HubError('SignatureInvalid', 'Slack events are not configured here (SLACK_SIGNING_SECRET is unset)');
    const signature = header(req, 'x-slack-signature');
    const timestamp = Number(header(req, 'x-slack-request-timestamp'));
    if (!signature || !Number.isInteger(timestamp)) throw new HubError('SignatureInvalid', 'X-Slack-Signature and X-Slack-Request-Timestamp are required');
    if (Math.abs(Date.now() / 1000 - timestamp) > SLACK_MAX_SKEW_SECONDS) throw new HubError('SignatureInvalid', 'X-Slack-Request-Timestamp is more than 5 minutes from now');
    try {
      verifySlackRequest({ signingSecret: secret, body: req.rawBody.toString('utf8'), headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
    } catch {
      throw new HubError('SignatureInvalid', 'X-Slack-Signature does not match the body');
    }
  }

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    const action = classifySlackEnvelope(req.body);
    return action.kind === 'dm' ? [{ ...action.message, inboxId: inbox.id }] : [];
  }

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const token = this.tokenFor(inbox);
    if (!msg.text.trim()) throw new PermanentDeliveryError('The reply is empty');
    // A user id as the channel posts into the app's DM with that person.
    const posted = await this.options.client.postMessage(token, { channel: msg.to.address, text: msg.text });
    return { providerMessageId: `${posted.channel}:${posted.ts}` };
  }

  tokenFor(inbox?: InboxConfig): string {
    const token = typeof inbox?.settings.botToken === 'string' && inbox.settings.botToken ? inbox.settings.botToken : this.options.botToken;
    if (!token) throw new PermanentDeliveryError('No Slack bot token: set SLACK_BOT_TOKEN or the inbox’s settings.botToken');
    return token;
  }
}

function header(req: RawRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
