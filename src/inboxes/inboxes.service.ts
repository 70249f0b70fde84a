import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { InboxConfig } from '../channels/channel-adapter';
import { Channel, enumValues } from '../common/enum';
import { HubError } from '../common/errors';
import { Db } from '../database/db';
import { DepartmentsService } from '../departments/departments.service';
import { InboxRepository, InboxRow } from './inbox.repository';

export interface CreateInbox {
  channel: string;
  name: string;
  department: string;
  address?: string;
  callbackUrl?: string;
  settings?: Record<string, unknown>;
}

export interface CreatedInbox {
  inbox: InboxConfig;
  /** Shown once: only its hash is stored. */
  token: string;
  secret: string;
}

/** Tokens are looked up on every inbound request; the hash → inbox answer is cached briefly. */
const CACHE_MS = 30_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class InboxesService {
  private readonly byToken = new Map<string, { inbox: InboxConfig | undefined; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly inboxes: InboxRepository,
    private readonly departments: DepartmentsService,
  ) {}

  /** The inbox a bearer token belongs to, or Unauthorized. */
  async authenticate(token: string | undefined, channel: Channel): Promise<InboxConfig> {
    if (!token) throw HubError.unauthorized('An inbox token is required: Authorization: Bearer <token>');
    const hash = hashToken(token);
    const cached = this.byToken.get(hash);
    let inbox = cached && cached.until > Date.now() ? cached.inbox : undefined;
    if (!cached || cached.until <= Date.now()) {
      const row = await this.inboxes.findByTokenHash(hash);
      inbox = row && toConfig(row);
      this.byToken.set(hash, { inbox, until: Date.now() + CACHE_MS });
    }
    if (!inbox || inbox.channel !== channel) throw HubError.unauthorized('The inbox token is not valid for this channel');
    return inbox;
  }

  async get(id: string): Promise<InboxConfig> {
    const row = await this.inboxes.findById(id);
    if (!row) throw HubError.notFound('Inbox', id);
    return toConfig(row);
  }

  async findByAddress(channel: Channel, address: string): Promise<InboxConfig | undefined> {
    const row = await this.inboxes.findByAddress(channel, address);
    return row && toConfig(row);
  }

  async list(): Promise<InboxConfig[]> {
    return (await this.inboxes.list()).map(toConfig);
  }

  async create(input: CreateInbox): Promise<CreatedInbox> {
    if (!enumValues(Channel).includes(input.channel)) {
      throw HubError.validation(`channel must be one of ${enumValues(Channel).join(', ')}`, { field: 'channel' });
    }
    if (!input.name?.trim()) throw HubError.validation('name is required', { field: 'name' });
    if (input.callbackUrl !== undefined && !/^https?:\/\/\S+$/.test(input.callbackUrl)) {
      throw HubError.validation('callback URL must be an http(s) URL', { field: 'callbackUrl' });
    }
    const department = await this.departments.getBySlugOrId(input.department);
    const token = newInboxToken();
    const secret = randomBytes(32).toString('base64url');
    const settings = { ...(input.settings ?? {}), ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}) };
    const row = await this.db.transaction((tx) =>
      this.inboxes.insert(tx.manager, {
        channel: input.channel as Channel,
        name: input.name.trim(),
        address: input.address ?? null,
        departmentId: department.id,
        tokenHash: hashToken(token),
        secret,
        settings,
      }),
    );
    return { inbox: toConfig(row), token, secret };
  }

  /** A new token for the inbox (shown once); the old token stops working here at once, elsewhere within CACHE_MS. */
  async rotateToken(inboxId: string): Promise<{ inbox: InboxConfig; token: string }> {
    const inbox = await this.get(inboxId);
    const token = newInboxToken();
    await this.db.transaction(async ({ manager }) => {
      if (!(await this.inboxes.updateTokenHash(manager, inbox.id, hashToken(token)))) throw HubError.notFound('Inbox', inboxId);
    });
    this.byToken.clear();
    return { inbox, token };
  }
}

function newInboxToken(): string {
  return `hub_in_${randomBytes(24).toString('base64url')}`;
}

function toConfig(row: InboxRow): InboxConfig {
  return {
    id: row.id,
    channel: row.channel,
    name: row.name,
    address: row.address,
    departmentId: row.department_id,
    secret: row.secret,
    settings: row.settings ?? {},
  };
}
