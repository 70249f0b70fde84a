import { IoAdapter } from '@nestjs/platform-socket.io';
import { MessageMappingProperties } from '@nestjs/websockets';
import { Observable } from 'rxjs';
import type { Socket } from 'socket.io';

/** What a command no gateway handles is answered, in the acks' one shape (docs/console-protocol.md). */
export const unknownCommand = (event: string) => ({ ok: false, error: { code: 'Validation', message: `Unknown command: ${event}` } }) as const;

/**
 * socket.io for every namespace, in one process or (RedisIoAdapter) across several. A command no gateway of the
 * namespace handles is answered at once: socket.io would leave it unanswered, and the client would wait out its own
 * timeout for a misspelt event name.
 */
export class HubIoAdapter extends IoAdapter {
  /** The commands handled on each socket: a namespace may have several gateways (/console has two), each bound apart. */
  private readonly known = new WeakMap<Socket, Set<string>>();

  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    super.bindMessageHandlers(socket, handlers, transform);
    let known = this.known.get(socket);
    if (!known) {
      const handled = (known = new Set<string>());
      this.known.set(socket, handled);
      socket.onAny((event: string, ...args: unknown[]) => {
        const ack = args[args.length - 1];
        if (!handled.has(event) && typeof ack === 'function') ack(unknownCommand(event));
      });
    }
    for (const h of handlers) known.add(String(h.message));
  }
}
