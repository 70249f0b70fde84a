import { io } from 'socket.io-client';
import { connected, recordingClient, SocketClient } from './socket-client';

export type { AckResult, Received } from './socket-client';

export type ConsoleClient = SocketClient;

export interface ConnectOptions {
  token?: string;
  cookie?: string;
  origin?: string;
}

/** A real socket.io client on /console, as the page would open it; resolves once connected (or rejects with connect_error). */
export async function connectConsole(baseUrl: string, options: ConnectOptions): Promise<ConsoleClient> {
  const client = openConsole(baseUrl, options);
  await connected(client);
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
  return recordingClient(socket);
}
