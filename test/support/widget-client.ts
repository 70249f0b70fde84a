import { io } from 'socket.io-client';
import { connected, recordingClient, SocketClient } from './socket-client';

/** A real socket.io client on /webchat, as the widget opens it. */
export type WidgetClient = SocketClient;

export function openWidget(baseUrl: string, token: unknown): WidgetClient {
  return recordingClient(io(`${baseUrl}/webchat`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true }));
}

/** Connected and greeted (`hello` received), or rejects with the connect_error. */
export async function connectWidget(baseUrl: string, token: unknown): Promise<WidgetClient & { hello: any }> {
  const client = openWidget(baseUrl, token);
  await connected(client);
  const hello = await client.waitFor('hello');
  return Object.assign(client, { hello });
}

export async function postSession(baseUrl: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${baseUrl}/webchat/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://www.anytown.gov.uk' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}
