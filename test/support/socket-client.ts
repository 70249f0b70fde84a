import { Socket } from 'socket.io-client';
import { eventually } from './eventually';

/** One event a socket received, in arrival order. */
export interface Received {
  event: string;
  payload: any;
}

export type AckResult = { ok: true; [key: string]: any } | { ok: false; error: { code: string; message: string; [key: string]: unknown } };

/** A real socket.io client that records what it receives: the console's and the widget's are both this. */
export interface SocketClient {
  socket: Socket;
  /** Everything received since connecting (or the last clear()). */
  received: Received[];
  /** Sends a command and resolves with its acknowledgement. */
  send(event: string, payload?: unknown): Promise<AckResult>;
  /** The events of one name received so far. */
  events(event: string): any[];
  /** Waits until an event of that name matching `match` has arrived, and returns its payload. */
  waitFor(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  clear(): void;
  close(): void;
}

/** Starts recording what `socket` receives, from now on. */
export function recordingClient(socket: Socket): SocketClient {
  const received: Received[] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  return {
    socket,
    received,
    send: (event, payload = {}) => socket.timeout(20_000).emitWithAck(event, payload) as Promise<AckResult>,
    events: (event) => received.filter((r) => r.event === event).map((r) => r.payload),
    waitFor: (event, match = () => true, timeoutMs = 10_000) =>
      eventually(() => {
        const found = received.find((r) => r.event === event && match(r.payload));
        if (!found) throw new Error(`no ${event} event matching yet (received: ${received.map((r) => r.event).join(', ') || 'nothing'})`);
        return found.payload;
      }, timeoutMs),
    clear: () => {
      received.length = 0;
    },
    close: () => {
      socket.disconnect();
    },
  };
}

/** Resolves once the client is connected, or rejects with the connect_error (a refused handshake). */
export function connected(client: SocketClient): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (e) => reject(e));
  });
}
