import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for an outside system's HTTP API (a callback receiver, Twilio, the Graph API, Slack), bound to
 * 127.0.0.1 on a free port. It records every request exactly as sent and answers as the test says.
 */
export interface StandInRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body as text. */
  body: string;
  /** The body parsed: JSON when it is JSON, else form fields (empty when neither). */
  json: Record<string, unknown>;
  /** Form fields (`application/x-www-form-urlencoded`), as Twilio's API receives them. */
  form: Record<string, string>;
}

export interface StandInReply {
  status: number;
  /** JSON unless a string or Buffer (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Holds the answer back, to keep a request in flight while something else happens. */
  delayMs?: number;
}

/** How to answer request number `n` (1-based). */
export type StandInResponder = (req: StandInRequest, n: number) => StandInReply;

export interface HttpStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: StandInRequest[];
  /** Changes the answers from now on. */
  respond(responder: StandInResponder): void;
  close(): Promise<void>;
}

export async function startHttpStandIn(responder: StandInResponder): Promise<HttpStandIn> {
  const requests: StandInRequest[] = [];
  let answer = responder;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = toRequest(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks));
      requests.push(received);
      const { status, body, headers, delayMs } = answer(received, requests.length);
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (r) => {
      answer = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toRequest(method: string, path: string, headers: IncomingHttpHeaders, rawBody: Buffer): StandInRequest {
  const body = rawBody.toString('utf8');
  const form = headers['content-type']?.includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : {};
  let json: Record<string, unknown> = form;
  try {
    if (body.trimStart().startsWith('{')) json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    /* kept raw */
  }
  return { method, path, headers, rawBody, body, json, form };
}
