import { io, Socket } from 'socket.io-client';
import type { Ack, Commands, ServerEvents } from './protocol';

export interface ConnectionHandlers {
  /** Connected; `first` is false after a reconnect (time to sync from the cursor). */
  onConnect(first: boolean): void;
  /** Lost; socket.io tries again by itself. */
  onDisconnect(): void;
  /** The hub refused the visitor token (expired or forged): start a new session. */
  onUnauthorized(): void;
}

const COMMAND_TIMEOUT_MS = 10_000;

/** The widget's socket to /webchat on the hub: typed commands that always resolve to an Ack, typed events. */
export class Connection {
  private readonly socket: Socket;
  private connectedBefore = false;

  constructor(origin: string, token: () => string, handlers: ConnectionHandlers) {
    this.socket = io(`${origin}/webchat`, {
      // A function, so a reconnect after a renewed session sends the new token.
      auth: (cb) => cb({ token: token() }),
      withCredentials: false,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
    });
    this.socket.on('connect', () => {
      handlers.onConnect(!this.connectedBefore);
      this.connectedBefore = true;
    });
    this.socket.on('disconnect', (reason) => {
      handlers.onDisconnect();
      // The server closed it on purpose: try once more; a refused handshake will then say why.
      if (reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (/unauthori[sz]ed/i.test(err.message) || err.data?.code === 'Unauthorized') handlers.onUnauthorized();
      else handlers.onDisconnect();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  on<E extends keyof ServerEvents>(event: E, handler: (payload: ServerEvents[E]) => void): void {
    this.socket.on(event as string, handler as (...args: unknown[]) => void);
  }

  /** Never queued while offline (the widget retries unsent messages itself after a reconnect), never rejected. */
  command<K extends keyof Commands>(event: K, payload: Commands[K][0]): Promise<Ack<Commands[K][1]>> {
    if (!this.socket.connected) return Promise.resolve({ ok: false, error: { code: 'Unavailable', message: 'Not connected' } });
    return new Promise((resolve) => {
      this.socket.timeout(COMMAND_TIMEOUT_MS).emit(event, payload, (err: Error | null, ack: Ack<Commands[K][1]> | undefined) => {
        if (err || !ack || typeof ack !== 'object') resolve({ ok: false, error: { code: 'Unavailable', message: 'No answer from the hub' } });
        else resolve(ack);
      });
    });
  }

  /** Fire and forget (typing, seen): dropped while offline, which is what they are worth. */
  signal<K extends 'typing' | 'seen'>(event: K, payload: Commands[K][0]): void {
    if (this.socket.connected) this.socket.emit(event, payload, () => undefined);
  }

  reconnect(): void {
    this.socket.disconnect().connect();
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
