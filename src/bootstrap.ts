import { ConsoleLogger, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { emailWebhookBodyLimit } from './channels/email/email-webhook-refusals';
import { WEBCHAT_HTTP_PATH, webchatCors } from './channels/webchat/webchat-cors';
import { useBodyParsers } from './common/body-parsers';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { Env } from './config/env';
import { HubIoAdapter } from './realtime/hub-io.adapter';
import { RedisIoAdapter } from './realtime/redis-io.adapter';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's start-up chatter (every module and route) only at debug level, so the hub's own lines stay readable. */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'WebSocketsController']);

class HubLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) return super.debug(message, ...rest);
    super.log(message, ...rest);
  }
}

/** Builds the HTTP app the same way for production, the CLI's `serve`, and end-to-end tests. */
export async function createApp(overrides: Record<string, string | undefined> = {}): Promise<INestApplication> {
  const level = (overrides.LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'log') as LogLevel;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(overrides), {
    bodyParser: false,
    abortOnError: false, // throw, so callers (tests, main) see the reason
    logger: new HubLogger({ logLevels: LEVELS.slice(0, Math.max(1, LEVELS.indexOf(level) + 1)) }),
  });
  app.use(WEBCHAT_HTTP_PATH, webchatCors); // before the parsers: their errors need the headers too
  useBodyParsers(app, [emailWebhookBodyLimit(app.get(Env))]);
  app.use(cookieParser());
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  const env = app.get(Env);
  keepIdleConnections(app, env.HTTP_KEEP_ALIVE_SECONDS);
  if (env.REDIS_URL) await useRedisForSockets(app, env);
  else app.useWebSocketAdapter(new HubIoAdapter(app));
  if (env.API_DOCS) {
    const config = new DocumentBuilder()
      .setTitle('Contact Hub')
      .setDescription('Omnichannel contact hub for UK councils: channels, cases and the staff API')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'staff-token')
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'inbox-token')
      .build();
    SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'api/docs/openapi.json' });
  }
  return app;
}

/** See Env.HTTP_KEEP_ALIVE_SECONDS. The headers timeout must outlast it, or a slow first request on a kept connection is cut. */
function keepIdleConnections(app: INestApplication, seconds: number): void {
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = seconds * 1000;
  server.headersTimeout = Math.max(server.headersTimeout, (seconds + 1) * 1000);
}

/** With Redis, socket.io rooms span every app process (see realtime/redis-io.adapter.ts). */
async function useRedisForSockets(app: INestApplication, env: Env): Promise<void> {
  const adapter = new RedisIoAdapter(app, env.REDIS_URL!, env.REDIS_PREFIX);
  await adapter.connect();
  app.useWebSocketAdapter(adapter);
}
