import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the stand-in received, exactly as sent. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  json: Record<string, unknown>;
}

export interface StandInAnswer {
  status: number;
  body?: unknown;
  /** Holds the answer back, to keep a delivery in flight while something else happens. */
  delayMs?: number;
}

/** How to answer request number `n` (1-based). */
export type Responder = (req: ReceivedRequest, n: number) => StandInAnswer;

export interface CallbackStandIn {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  requests: ReceivedRequest[];
  /** Changes the answers from now on. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** The receiving system of an API inbox (its callback URL), bound to 127.0.0.1 on a free port. */
export async function startCallbackStandIn(responder: Responder): Promise<CallbackStandIn> {
  const requests: ReceivedRequest[] = [];
  let answer = responder;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
      } catch {
        /* kept raw */
      }
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, json };
      requests.push(received);
      const { status, body, delayMs } = answer(received, requests.length);
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
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
