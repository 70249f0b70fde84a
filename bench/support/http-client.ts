import { connect, Socket } from 'node:net';

export interface HttpAnswer {
  status: number;
  body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection to a loopback server, one request at a time, as a provider's webhook sender
 * does. Deliberately minimal (no chunked bodies, no redirects): the hub answers with Content-Length. The load
 * generator shares the machine with the hub and PostgreSQL, and node:http's client costs about 120–170 µs of
 * CPU per request here against about 20 µs for this one; that difference would otherwise be taken from the hub.
 */
export class HttpConnection {
  private socket?: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending?: { resolve(a: HttpAnswer): void; reject(e: Error): void };

  constructor(
    private readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  async post(path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    const socket = this.socket ?? (await this.open());
    const bytes = Buffer.from(body);
    const head = [`POST ${path} HTTP/1.1`, `host: 127.0.0.1:${this.port}`, `content-length: ${bytes.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), bytes]));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      socket.once('connect', () => resolve((this.socket = socket)));
      socket.on('data', (chunk) => this.onData(chunk));
      socket.on('error', (e) => (this.socket ? this.fail(e) : reject(e)));
      socket.on('close', () => this.fail(new Error('connection closed')));
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve({ status: Number(head.slice(9, 12)), body });
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
  }

  private fail(e: Error): void {
    this.socket = undefined;
    this.buffer = Buffer.alloc(0);
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(e);
  }
}
