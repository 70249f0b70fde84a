import { Logger } from '@nestjs/common';
import IORedis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Slack's pace for chat.postMessage: about one message a second per channel, and nothing while a 429's Retry-After
 * runs. One process paces itself in memory; several processes (REDIS_URL) share the pace through Redis, so the
 * workspace sees one sender.
 */
export interface SlackPacer {
  /** Waits until a message may go to the channel, and takes that turn. */
  take(channel: string): Promise<void>;
  /** Slack answered 429: nobody posts to the channel for `ms`. */
  hold(channel: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This process only: turns spaced minIntervalMs apart per channel. */
export class MemorySlackPacer implements SlackPacer {
  private readonly notBefore = new Map<string, number>();

  constructor(private readonly minIntervalMs: number) {}

  async take(channel: string): Promise<void> {
    for (;;) {
      const wait = (this.notBefore.get(channel) ?? 0) - Date.now();
      if (wait <= 0) break;
      await sleep(wait);
    }
    this.notBefore.set(channel, Date.now() + this.minIntervalMs);
    this.forgetLater(channel);
  }

  async hold(channel: string, ms: number): Promise<void> {
    this.notBefore.set(channel, Math.max(this.notBefore.get(channel) ?? 0, Date.now() + ms));
    this.forgetLater(channel);
  }

  async close(): Promise<void> {
    this.notBefore.clear();
  }

  /** Keeps the map to channels posted to lately. */
  private forgetLater(channel: string): void {
    const until = this.notBefore.get(channel)!;
    setTimeout(() => this.notBefore.get(channel) === until && this.notBefore.delete(channel), until - Date.now() + 1000).unref();
  }
}

export interface RedisSlackPacerOptions {
  redisUrl: string;
  /** Keys are `<prefix>:slack-pace:<channel>`: processes sharing the prefix share the pace. */
  prefix: string;
  /** Whole seconds between messages to one channel (Redis expiry is in seconds); at least 1. */
  intervalSeconds: number;
}

/**
 * Every process sharing Redis (and the prefix): rate-limiter-flexible with one point per interval per channel. The
 * window opens at the first post, so consecutive posts are at least an interval apart whichever process sends them.
 * A 429 blocks the channel's key for the Retry-After. If Redis is unreachable, each process paces itself in memory
 * (the insurance limiter) rather than stop posting.
 */
export class RedisSlackPacer implements SlackPacer {
  private readonly logger = new Logger('SlackPacer');
  private readonly redis: IORedis;
  private readonly limiter: RateLimiterRedis;

  constructor(options: RedisSlackPacerOptions) {
    this.redis = new IORedis(options.redisUrl, { maxRetriesPerRequest: 1 });
    this.redis.on('error', (e) => this.logger.warn(`Slack pacing's Redis: ${e.message}`));
    const limits = { keyPrefix: `${options.prefix}:slack-pace`, points: 1, duration: Math.max(1, Math.round(options.intervalSeconds)) };
    this.limiter = new RateLimiterRedis({ ...limits, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(limits) });
  }

  async take(channel: string): Promise<void> {
    for (;;) {
      try {
        await this.limiter.consume(channel);
        return;
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        await sleep(Math.max(10, e.msBeforeNext));
      }
    }
  }

  async hold(channel: string, ms: number): Promise<void> {
    await this.limiter.block(channel, Math.max(1, Math.ceil(ms / 1000)));
  }

  /** Redis key of a channel's pace (tests look at it). */
  keyOf(channel: string): string {
    return this.limiter.getKey(channel);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
