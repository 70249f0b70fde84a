import { INestApplicationContext, Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import IORedis from 'ioredis';
import { Server, ServerOptions } from 'socket.io';
import { HubIoAdapter } from './hub-io.adapter';

/**
 * socket.io across processes: every app process sharing REDIS_URL (and REDIS_PREFIX) joins one Redis stream, so a
 * push to a room reaches its sockets on any process, and fetchSockets()/serverSideEmit() see the whole cluster.
 * The streams adapter resumes from its stream offset after a Redis disconnect, so packets sent meanwhile are not
 * lost (the pub/sub adapter drops them). Without REDIS_URL the default in-memory adapter is used (one process).
 */
export class RedisIoAdapter extends HubIoAdapter {
  private readonly logger = new Logger('Realtime');
  private redis?: IORedis;
  private adapterFactory?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {
    super(app);
  }

  async connect(): Promise<void> {
    this.redis = new IORedis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
    this.redis.on('error', (e) => this.logger.warn(`Redis: ${e.message}`));
    await this.redis.connect();
    const name = `${this.prefix}:socket.io`;
    this.adapterFactory = createAdapter(this.redis, { streamName: name, channelPrefix: name, onlyPlaintext: true });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, options);
    if (!this.adapterFactory) throw new Error('RedisIoAdapter: call connect() before the app starts');
    server.adapter(this.adapterFactory);
    return server;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    // QUIT after what is in flight (the adapters' goodbye to the other processes), not a hard disconnect.
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
