import { Logger, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
// The one socket payload pipe, under the name this gateway's handlers use.
import { PayloadPipe } from '../common/dto.pipe';
import { handshakeRefusal } from '../realtime/handshake-refusal';
import { RealtimeService } from '../realtime/realtime.service';
import { supervisorRoomsFor } from '../supervisor/supervisor-rooms';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsolePresenceService } from './console-presence.service';
import {
  CannedDto,
  CannedListDto,
  CapacityDto,
  CaseIdDto,
  ClaimDto,
  ClaimNextDto,
  ColleaguesDto,
  PresenceDto,
  PriorityDto,
  QueueListDto,
  ReplyDto,
  RetryDto,
  StatusDto,
  SyncDto,
  TextDto,
  TransferDto,
  TypingDto,
} from './console.dto';
import { CONSOLE_NAMESPACE, type ConsoleSocket, ok } from './console.events';
import { ConsoleService } from './console.service';

/**
 * The agent console's socket (docs/console-protocol.md). Sockets authenticate in the handshake or are refused;
 * each command is one service call whose return value is the ack; ConsoleExceptionFilter turns errors into
 * `{ ok: false, error }`.
 */
@WebSocketGateway({ namespace: CONSOLE_NAMESPACE })
@UseFilters(ConsoleExceptionFilter)
export class ConsoleGateway implements OnGatewayInit<Namespace>, OnGatewayConnection<ConsoleSocket>, OnGatewayDisconnect<ConsoleSocket> {
  private readonly logger = new Logger('Console');

  constructor(
    private readonly console: ConsoleService,
    private readonly sessions: ConsolePresenceService,
    private readonly realtime: RealtimeService,
  ) {}

  afterInit(namespace: Namespace): void {
    this.realtime.register(namespace);
    namespace.use((socket, next) => {
      this.sessions.authenticate(socket as ConsoleSocket).then(
        () => next(),
        (e: unknown) => next(handshakeRefusal(e, this.logger, 'console')),
      );
    });
  }

  handleConnection(socket: ConsoleSocket): void {
    // Supervisors and admins also hear their departments' figures and alerts (metrics:live, sla:alert).
    socket.join(supervisorRoomsFor(socket.data.actor, socket.data.departmentIds));
    this.sessions.connected(socket).catch((e: Error) => {
      this.logger.error(`hello to agent ${socket.data.actor.id} failed: ${e.stack ?? e.message}`);
      socket.disconnect(true);
    });
  }

  handleDisconnect(socket: ConsoleSocket): void {
    this.sessions.disconnected(socket);
  }

  @SubscribeMessage('queue:list')
  async queueList(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: QueueListDto) {
    return ok(await this.console.queue(socket.data.actor, dto));
  }

  @SubscribeMessage('case:open')
  async open(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CaseIdDto) {
    return ok(await this.console.open(socket, dto));
  }

  @SubscribeMessage('case:close-view')
  closeView(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CaseIdDto) {
    return ok(this.console.closeView(socket, dto));
  }

  @SubscribeMessage('case:claim-next')
  async claimNext(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: ClaimNextDto) {
    return ok(await this.console.claimNext(socket.data.actor, dto));
  }

  @SubscribeMessage('case:claim')
  async claim(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: ClaimDto) {
    return ok(await this.console.claim(socket.data.actor, dto));
  }

  @SubscribeMessage('case:release')
  async release(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CaseIdDto) {
    return ok(await this.console.release(socket.data.actor, dto));
  }

  @SubscribeMessage('case:transfer')
  async transfer(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: TransferDto) {
    return ok(await this.console.transfer(socket.data.actor, dto));
  }

  @SubscribeMessage('case:colleagues')
  async colleagues(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: ColleaguesDto) {
    return ok(await this.console.colleagues(socket.data.actor, dto));
  }

  @SubscribeMessage('case:compose-options')
  async composeOptions(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CaseIdDto) {
    return ok(await this.console.composeOptions(socket.data.actor, dto));
  }

  @SubscribeMessage('case:status')
  async status(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: StatusDto) {
    return ok(await this.console.status(socket.data.actor, dto));
  }

  @SubscribeMessage('case:priority')
  async priority(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: PriorityDto) {
    return ok(await this.console.priority(socket.data.actor, dto));
  }

  @SubscribeMessage('case:reply')
  async reply(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: ReplyDto) {
    return ok(await this.console.reply(socket.data.actor, dto));
  }

  @SubscribeMessage('case:note')
  async note(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: TextDto) {
    return ok(await this.console.note(socket.data.actor, dto));
  }

  @SubscribeMessage('case:canned')
  async canned(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CannedDto) {
    return ok(await this.console.cannedFor(socket.data.actor, dto));
  }

  @SubscribeMessage('canned:list')
  async cannedList(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CannedListDto) {
    return ok(await this.console.cannedList(socket.data.actor, dto));
  }

  @SubscribeMessage('case:typing')
  async typing(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: TypingDto) {
    await this.sessions.typing(socket, dto.caseId, dto.typing);
    return ok({});
  }

  @SubscribeMessage('agent:presence')
  async presence(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: PresenceDto) {
    return ok(await this.sessions.setPresence(socket.data.actor, dto.presence));
  }

  @SubscribeMessage('agent:capacity')
  async capacity(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: CapacityDto) {
    return ok(await this.sessions.setCapacity(socket.data.actor, dto.capacity));
  }

  @SubscribeMessage('message:retry')
  async retry(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: RetryDto) {
    return ok(await this.console.retry(socket.data.actor, dto));
  }

  @SubscribeMessage('sync')
  async sync(@ConnectedSocket() socket: ConsoleSocket, @MessageBody(PayloadPipe) dto: SyncDto) {
    return ok(await this.console.sync(socket, dto));
  }
}
