import { Injectable } from '@nestjs/common';
import type { Namespace, RemoteSocket, Socket } from 'socket.io';
import { Env } from '../config/env';
import { coalesceWebSocketWrites } from './coalesce-writes';


/**
 * The seam between the app and socket.io: services push to rooms and ask who is in a room without knowing about
 * sockets, adapters or processes. A gateway registers its namespace on init. With the Redis adapter every call
 * here spans all app processes.
 */
@Injectable()
export class RealtimeService {
  private readonly namespaces = new Map<string, Namespace>();
  private readonly engines = new WeakSet<object>();

  constructor(private readonly env: Env) {}

  register(namespace: Namespace): void {
    this.namespaces.set(namespace.name, namespace);
    const engine = namespace.server.engine;
    if (!this.engines.has(engine)) {
      this.engines.add(engine);
      coalesceWebSocketWrites(engine);
    }
  }

  /**
   * False only when nobody can receive a push: this is the one process (no Redis) and no socket is connected to
   * the namespace. Listeners then skip the reads behind their pushes (intake measured about 25 % faster).
   */
  anyoneListening(namespace: string): boolean {
    const ns = this.namespaces.get(namespace);
    return !!ns && (!!this.env.REDIS_URL || ns.sockets.size > 0);
  }

  /** Sends to every socket in any of the rooms (once per socket), on every process. Nothing before the gateway started. */
  emit(namespace: string, rooms: string[], event: string, payload: unknown): void {
    const ns = this.namespaces.get(namespace);
    if (ns && rooms.length) ns.to(rooms).emit(event, payload);
  }

  /** As emit, but not to `from` (the sender). */
  emitFrom(from: Socket, rooms: string[], event: string, payload: unknown): void {
    if (rooms.length) from.to(rooms).emit(event, payload);
  }

  /** Every socket in `room`, on every process, joins `newRoom` too (a conversation all of a visitor's tabs follow). */
  joinRoom(namespace: string, room: string, newRoom: string): void {
    this.namespaces.get(namespace)?.in(room).socketsJoin(newRoom);
  }

  /** Every socket in `room`, on every process, leaves `oldRoom`. */
  leaveRoom(namespace: string, room: string, oldRoom: string): void {
    this.namespaces.get(namespace)?.in(room).socketsLeave(oldRoom);
  }

  /** As emit, but to this process's sockets only: for a push every process makes for itself (a timer each one runs). */
  emitLocal(namespace: string, rooms: string[], event: string, payload: unknown): void {
    const ns = this.namespaces.get(namespace);
    if (ns && rooms.length) ns.local.to(rooms).emit(event, payload);
  }

  /** The sockets in a room (or in any of several, each once), on every process. */
  async socketsIn<D extends object>(namespace: string, room: string | string[]): Promise<Array<RemoteSocket<never, D>>> {
    const ns = this.namespaces.get(namespace);
    return ns ? ((await ns.in(room).fetchSockets()) as unknown as Array<RemoteSocket<never, D>>) : [];
  }
}
