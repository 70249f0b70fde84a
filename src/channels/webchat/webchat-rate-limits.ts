import { Logger, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';

export type LimitKind = 'session' | 'message' | 'messageIp' | 'typing' | 'command' | 'upload' | 'uploadIp';

/** Points per minute of each limit. Typing: the widget sends at most one every 3 s; commands: seen, sync, prechat, end. */
function perMinute(env: Env): Record<LimitKind, number> {
  return {
    session: env.WEBCHAT_SESSIONS_PER_MINUTE,
    message: env.WEBCHAT_MESSAGES_PER_MINUTE,
    messageIp: env.WEBCHAT_MESSAGES_PER_MINUTE * 5,
    typing: 60,
    command: 120,
    upload: 10,
    uploadIp: 50,
  };
}

/**
 * Rate limits per visitor and per IP address (rate-limiter-flexible): in Redis when REDIS_URL is set, so every hub
 * process counts together; in memory otherwise (one process).
 */
export class WebchatRateLimits implements OnApplicationShutdown {
  private readonly logger = new Logger('Webchat');
  private readonly limiters: Record<LimitKind, RateLimiterAbstract>;
  private readonly redis?: IORedis;

  constructor(env: Env) {
    const points = perMinute(env);
    if (env.REDIS_URL) {
      this.redis = new IORedis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      this.redis.on('error', (e) => this.logger.warn(`rate limits' Redis: ${e.message}`));
    }
    const make = (kind: LimitKind): RateLimiterAbstract => {
      const options = { keyPrefix: `${env.REDIS_PREFIX}:webchat-rl:${kind}`, points: points[kind], duration: 60 };
      // Redis unreachable: count in memory rather than refuse everyone or let everything through.
      return this.redis ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
    };
    this.limiters = Object.fromEntries((Object.keys(points) as LimitKind[]).map((k) => [k, make(k)])) as Record<LimitKind, RateLimiterAbstract>;
  }

  /** Takes one point for `key`; RateLimited (with the seconds to wait) when there is none left this minute. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    try {
      await this.limiters[kind].consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const retryAfterSeconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw new HubError('RateLimited', `Too many requests: try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`, { retryAfterSeconds });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
