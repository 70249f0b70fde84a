import { io, Socket } from 'socket.io-client';
import { Ack, Commands, ServerEvents } from './protocol';

export interface ConnectionHandlers {
  /** Connected (again); `hello` follows from the server. */
  onConnect(): void;
  /** Lost; socket.io is trying again by itself. */
  onDisconnect(reason: string): void;
  /** The hub refused who we are: sign in again. */
  onUnauthorized(): void;
}

const COMMAND_TIMEOUT_MS = 10_000;

/** The page's socket.io connection to /console: typed commands that always resolve to an Ack, typed events. */
export class Connection {
  private readonly socket: Socket;

  constructor(token: () => string | undefined, handlers: ConnectionHandlers) {
    this.socket = io('/console', {
      // A function, so every reconnect sends the current token; without one the session cookie authenticates.
      auth: (cb) => {
        const t = token();
        cb(t ? { token: t } : {});
      },
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket.on('connect', () => handlers.onConnect());
    this.socket.on('disconnect', (reason) => {
      handlers.onDisconnect(reason);
      // The server ended the session on purpose: try once more, and a refused handshake will say why.
      if (reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (/unauthori[sz]ed/i.test(err.message) || err.data?.code === 'Unauthorized') handlers.onUnauthorized();
      else handlers.onDisconnect(err.message);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  on<E extends keyof ServerEvents>(event: E, handler: (payload: ServerEvents[E]) => void): void {
    this.socket.on(event as string, handler as (...args: unknown[]) => void);
  }

  /**
   * Sends a command and waits for its acknowledgement. Never queued while offline (a reply must not go out minutes
   * later by surprise), never rejected: failures come back as { ok: false, error }.
   */
  command<K extends keyof Commands>(event: K, payload: Commands[K][0], timeoutMs = COMMAND_TIMEOUT_MS): Promise<Ack<Commands[K][1]>> {
    if (!this.socket.connected) {
      return Promise.resolve({ ok: false, error: { code: 'Unavailable', message: 'Not connected to the hub: wait for the connection to come back and try again' } });
    }
    return new Promise((resolve) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<Commands[K][1]> | undefined) => {
        if (err) resolve({ ok: false, error: { code: 'Unavailable', message: 'The hub did not answer in time: try again' } });
        else if (!ack || typeof ack !== 'object') resolve({ ok: false, error: { code: 'Unavailable', message: 'The hub sent an answer the console does not understand' } });
        else resolve(ack);
      });
    });
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
