import { Channel } from '../common/enum';
import { UsageError } from './cli-args';

/**
 * inbox:create's provider flags → the inbox's address and settings, checked before anything touches the database.
 * Each mistake names its flag. A secret flag given as `-` is read from standard input (one such flag per command),
 * so tokens stay out of the shell history.
 */

/** The provider flags, in the order help lists them. */
export const PROVIDER_FLAGS = [
  'account-sid',
  'auth-token',
  'messaging-service-sid',
  'from-number',
  'whatsapp-provider',
  'status-callback',
  'page-access-token',
  'page-id',
  'human-agent-tag',
  'access-token',
  'bot-token',
  'council',
  'email-inbox',
] as const;

export type ProviderFlag = (typeof PROVIDER_FLAGS)[number];
export const SECRET_FLAGS: ProviderFlag[] = ['auth-token', 'page-access-token', 'access-token', 'bot-token'];

const TWILIO_FLAGS: ProviderFlag[] = ['account-sid', 'auth-token', 'messaging-service-sid', 'from-number', 'status-callback'];
const PAGE_FLAGS: ProviderFlag[] = ['page-access-token', 'page-id', 'human-agent-tag'];

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/i;
const SERVICE_SID = /^MG[0-9a-f]{32}$/i;
const AUTH_TOKEN = /^[0-9a-f]{32}$/i;
const E164 = /^\+[1-9]\d{6,14}$/;
const META_ID = /^\d{5,20}$/;
const SLACK_TEAM = /^[TE][A-Z0-9]{2,}$/;

export interface InboxFlags {
  channel: string;
  address?: string;
  flags: Partial<Record<ProviderFlag, string | boolean>>;
}

export interface ProviderSettings {
  address?: string;
  settings: Record<string, unknown>;
  /** webchat: the email inbox (id or address) for follow-ups, checked against the database by the command. */
  emailInbox?: string;
}

/** The one secret flag given as `-`, if any; two is a mistake (standard input holds one line). */
export function stdinSecretFlag(flags: InboxFlags['flags']): ProviderFlag | undefined {
  const piped = SECRET_FLAGS.filter((f) => flags[f] === '-');
  if (piped.length > 1) throw new UsageError(`inbox:create: only one secret can be read from standard input (--${piped.join(' and --')} are both -)`);
  return piped[0];
}

/** Checks the provider flags against the channel and returns what the inbox stores. */
export function providerSettings({ channel, address, flags }: InboxFlags): ProviderSettings {
  const given = PROVIDER_FLAGS.filter((f) => flags[f] !== undefined && flags[f] !== false);
  const str = (f: ProviderFlag) => (typeof flags[f] === 'string' ? (flags[f] as string).trim() : undefined);
  const whatsappProvider = str('whatsapp-provider');
  if (whatsappProvider !== undefined && channel !== Channel.Whatsapp) refuse('whatsapp-provider', 'applies only to whatsapp inboxes');
  if (whatsappProvider !== undefined && whatsappProvider !== 'twilio' && whatsappProvider !== 'meta') refuse('whatsapp-provider', 'must be twilio or meta');

  const twilio = channel === Channel.Sms || (channel === Channel.Whatsapp && whatsappProvider !== 'meta');
  const allowed: ProviderFlag[] = twilio
    ? [...TWILIO_FLAGS, 'whatsapp-provider']
    : channel === Channel.Whatsapp
      ? ['whatsapp-provider', 'access-token']
      : channel === Channel.Messenger || channel === Channel.Instagram
        ? PAGE_FLAGS
        : channel === Channel.Slack
          ? ['bot-token']
          : channel === Channel.Webchat
            ? ['council', 'email-inbox']
            : [];
  for (const f of given) if (!allowed.includes(f)) refuse(f, `does not apply to ${describe(channel, whatsappProvider)} inboxes`);

  if (twilio) return twilioSettings(channel, address, str, whatsappProvider);
  if (channel === Channel.Whatsapp) return whatsappCloudSettings(address, str);
  if (channel === Channel.Messenger || channel === Channel.Instagram) return pageSettings(channel, address, str, flags['human-agent-tag'] === true);
  if (channel === Channel.Slack) return slackSettings(address, str);
  if (channel === Channel.Webchat) return webchatSettings(address, str);
  return { address, settings: {} };
}

type Str = (f: ProviderFlag) => string | undefined;

function twilioSettings(channel: string, address: string | undefined, str: Str, provider: string | undefined): ProviderSettings {
  const accountSid = need(str, 'account-sid', ACCOUNT_SID, 'must be a Twilio account SID: AC followed by 32 hex digits', channel);
  const authToken = need(str, 'auth-token', AUTH_TOKEN, 'must be the account’s auth token: 32 hex digits', channel);
  const messagingServiceSid = check(str, 'messaging-service-sid', SERVICE_SID, 'must be a Messaging Service SID: MG followed by 32 hex digits');
  const from = check(str, 'from-number', E164, 'must be a phone number in E.164 form, such as +447700900123');
  const statusCallback = check(str, 'status-callback', /^https?:\/\/[^\s/]+\S*$/, 'must be an http(s) URL');
  const bare = address?.replace(/^whatsapp:/i, '');
  if (from && bare && bare !== from) refuse('from-number', `and --address name different numbers (${from}, ${address}): give one`);
  const number = from ?? bare;
  if (number !== undefined && !E164.test(number)) refuse(from ? 'from-number' : 'address', 'must be a phone number in E.164 form, such as +447700900123');
  if (!number && !messagingServiceSid) refuse('from-number', `or --messaging-service-sid is required for a ${channel} inbox (the number replies are sent from)`);
  return {
    address: number && (channel === Channel.Whatsapp ? `whatsapp:${number}` : number),
    settings: {
      accountSid,
      authToken,
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      ...(statusCallback ? { statusCallback } : {}),
      ...(provider ? { provider } : {}),
    },
  };
}

function whatsappCloudSettings(address: string | undefined, str: Str): ProviderSettings {
  const accessToken = need(str, 'access-token', /^\S{20,}$/, 'must be a WhatsApp Cloud API system-user token', 'whatsapp (meta)');
  if (!address || !META_ID.test(address)) refuse('address', 'must be the WhatsApp phone_number_id (digits) for a whatsapp inbox served by meta');
  return { address, settings: { provider: 'meta', accessToken } };
}

function pageSettings(channel: string, address: string | undefined, str: Str, humanAgentTag: boolean): ProviderSettings {
  const pageAccessToken = need(str, 'page-access-token', /^\S{20,}$/, 'must be a Page access token', channel);
  const pageId = check(str, 'page-id', META_ID, 'must be a numeric Page id');
  const what = channel === Channel.Instagram ? 'the Instagram account id' : 'the Page id';
  if (!address || !META_ID.test(address)) refuse('address', `must be ${what} (digits) for a ${channel} inbox`);
  return { address, settings: { pageAccessToken, ...(pageId ? { pageId } : {}), ...(humanAgentTag ? { humanAgentTag: true } : {}) } };
}

function slackSettings(address: string | undefined, str: Str): ProviderSettings {
  const botToken = check(str, 'bot-token', /^xoxb-\S+$/, 'must be a bot token (xoxb-…)');
  if (address !== undefined && !SLACK_TEAM.test(address)) refuse('address', 'must be the Slack workspace’s team id (T…) for a slack inbox');
  return { address, settings: botToken ? { botToken } : {} };
}

/** The council's name for the widget's heading, and the email inbox replies and transcripts go from. */
function webchatSettings(address: string | undefined, str: Str): ProviderSettings {
  if (address !== undefined) refuse('address', 'does not apply to webchat inboxes (the widget tag names the inbox by its token)');
  const council = str('council');
  if (council !== undefined && (!council || council.length > 100 || /[<>\n]/.test(council))) refuse('council', 'must be the council’s name (1 to 100 characters, no < or >), such as "Anytown Borough Council"');
  const emailInbox = check(str, 'email-inbox', /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^\s@]+@[^\s@]+\.[^\s@]+)$/i, 'must be the id or the address of an email inbox');
  return { settings: council ? { council } : {}, ...(emailInbox ? { emailInbox: emailInbox.toLowerCase() } : {}) };
}

function need(str: Str, flag: ProviderFlag, pattern: RegExp, rule: string, channel: string): string {
  const value = str(flag);
  if (!value) refuse(flag, `is required for a ${channel} inbox`);
  if (!pattern.test(value)) refuse(flag, rule);
  return value;
}

function check(str: Str, flag: ProviderFlag, pattern: RegExp, rule: string): string | undefined {
  const value = str(flag);
  if (value === undefined) return undefined;
  if (!pattern.test(value)) refuse(flag, rule);
  return value;
}

function describe(channel: string, provider: string | undefined): string {
  return channel === Channel.Whatsapp ? `whatsapp (${provider ?? 'twilio'})` : channel;
}

function refuse(flag: ProviderFlag | 'address', problem: string): never {
  throw new UsageError(`inbox:create: --${flag} ${problem}`);
}
