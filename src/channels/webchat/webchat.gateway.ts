import { Logger, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { Namespace } from 'socket.io';
import { PayloadPipe } from '../../common/dto.pipe';
import { HubError } from '../../common/errors';
import { handshakeRefusal } from '../../realtime/handshake-refusal';
import { RealtimeService } from '../../realtime/realtime.service';
import { EndDto, PrechatDto, SeenDto, SendDto, SyncDto, TypingDto } from './webchat.dto';
import { ok, WEBCHAT_NAMESPACE, WebchatSocket } from './webchat.events';
import { WebchatExceptionFilter } from './webchat-exception.filter';
import { Visitor, WebchatSessionService } from './webchat-session.service';
import { WebchatService } from './webchat.service';

/**
 * The resident's socket (docs/webchat-protocol.md). A socket is refused at the handshake unless its visitor token is
 * genuine and current; each command is one service call whose return value is the ack, and WebchatExceptionFilter
 * turns errors (a bad payload, a rate limit) into `{ ok: false, error }` with the socket left up.
 */
@WebSocketGateway({ namespace: WEBCHAT_NAMESPACE })
@UseFilters(WebchatExceptionFilter)
export class WebchatGateway implements OnGatewayInit<Namespace>, OnGatewayConnection<WebchatSocket>, OnGatewayDisconnect<WebchatSocket> {
  private readonly logger = new Logger('Webchat');
  /** Who each socket is, known to the process holding it (the inbox's secret never goes into socket.data). */
  private readonly visitors = new WeakMap<WebchatSocket, Visitor>();

  constructor(
    private readonly sessions: WebchatSessionService,
    private readonly webchat: WebchatService,
    private readonly realtime: RealtimeService,
  ) {}

  afterInit(namespace: Namespace): void {
    this.realtime.register(namespace);
    allowAnyOrigin(namespace);
    namespace.use((raw, next) => {
      const socket = raw as WebchatSocket;
      this.sessions.identify((socket.handshake.auth as { token?: unknown } | undefined)?.token).then(
        (visitor) => {
          socket.data = { visitorId: visitor.visitorId, inboxId: visitor.inbox.id, address: visitor.address, ip: socket.handshake.address };
          this.visitors.set(socket, visitor);
          next();
        },
        (e: unknown) => next(handshakeRefusal(e, this.logger, 'webchat')),
      );
    });
  }

  handleConnection(socket: WebchatSocket): void {
    this.webchat.hello(socket, this.visitor(socket)).then(
      (hello) => socket.emit('hello', hello),
      (e: Error) => {
        this.logger.error(`hello to visitor ${socket.data.visitorId} failed: ${e.stack ?? e.message}`);
        socket.disconnect(true);
      },
    );
  }

  handleDisconnect(socket: WebchatSocket): void {
    if (!socket.data?.visitorId) return;
    this.webchat.disconnected(socket).catch((e: Error) => this.logger.warn(`disconnect of visitor ${socket.data.visitorId}: ${e.message}`));
  }

  @SubscribeMessage('prechat')
  async prechat(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: PrechatDto) {
    return ok(await this.webchat.prechat(socket, dto));
  }

  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: SendDto) {
    return ok(await this.webchat.send(socket, this.visitor(socket), dto));
  }

  @SubscribeMessage('typing')
  async typing(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: TypingDto) {
    await this.webchat.typing(socket, dto.typing);
    return ok({});
  }

  @SubscribeMessage('seen')
  async seen(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: SeenDto) {
    await this.webchat.seen(socket, dto);
    return ok({});
  }

  @SubscribeMessage('sync')
  async sync(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: SyncDto) {
    return ok(await this.webchat.sync(socket, dto));
  }

  @SubscribeMessage('end')
  async end(@ConnectedSocket() socket: WebchatSocket, @MessageBody(PayloadPipe) dto: EndDto) {
    return ok(await this.webchat.end(socket, this.visitor(socket), dto));
  }

  private visitor(socket: WebchatSocket): Visitor {
    const visitor = this.visitors.get(socket);
    if (!visitor) throw HubError.unauthorized('Reconnect with your visitor token');
    return visitor;
  }
}

/**
 * The widget runs on council sites, other origins than the hub's: long-polling requests need CORS. Without
 * credentials (no cookie ever authenticates /webchat), so any origin may connect; the console's cookie sign-in is
 * unaffected (it checks the Origin itself, and browsers send no cookie cross-origin without credentials).
 */
function allowAnyOrigin(namespace: Namespace): void {
  const engine = namespace.server.engine as unknown as { on(e: 'headers', fn: (h: Record<string, string>, req: IncomingMessage) => void): void; __webchatCors?: boolean };
  if (engine.__webchatCors) return;
  engine.__webchatCors = true;
  engine.on('headers', (headers, req) => {
    if (req.headers.origin && !headers['Access-Control-Allow-Origin']) headers['Access-Control-Allow-Origin'] = req.headers.origin;
  });
}
