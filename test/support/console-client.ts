import { io, Socket } from 'socket.io-client';
import { eventually } from './eventually';

/** One event a console socket received, in arrival order. */
export interface Received {
  event: string;
  payload: any;
}

export type AckResult = { ok: true; [key: string]: any } | { ok: false; error: { code: string; message: string; [key: string]: unknown } };

export interface ConsoleClient {
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

export interface ConnectOptions {
  token?: string;
  cookie?: string;
  origin?: string;
}

/** A real socket.io client on /console, as the page would open it; resolves once connected (or rejects with connect_error). */
export async function connectConsole(baseUrl: string, options: ConnectOptions): Promise<ConsoleClient> {
  const client = openConsole(baseUrl, options);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (e) => reject(e));
  });
  return client;
}

/** The socket without waiting for it to connect (to watch a refusal). */
export function openConsole(baseUrl: string, options: ConnectOptions): ConsoleClient {
  const extraHeaders: Record<string, string> = {};
  if (options.cookie) extraHeaders.cookie = options.cookie;
  if (options.origin) extraHeaders.origin = options.origin;
  const socket = io(`${baseUrl}/console`, {
    auth: options.token ? { token: options.token } : {},
    extraHeaders,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const received: Received[] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  const client: ConsoleClient = {
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
  return client;
}
