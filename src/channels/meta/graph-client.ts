import { PermanentDeliveryError, TransientDeliveryError } from '../channel-adapter';

export interface GraphOptions {
  /** https://graph.facebook.com, or a local stand-in in tests. */
  baseUrl: string;
  /** v21.0 */
  version: string;
  timeoutMs: number;
}

/** The error object of a Graph API answer: { error: { message, type, code, error_subcode, fbtrace_id } }. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
}

/** A refused send with Meta's own error, so callers can react to a code (the 24-hour window) before it is mapped. */
export class GraphRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: GraphError,
    readonly retryAfterMs?: number,
  ) {
    super(`Graph API ${status}${error.code !== undefined ? ` code ${error.code}` : ''}${error.error_subcode ? `/${error.error_subcode}` : ''}: ${error.message ?? 'no message'}`);
  }
}

/** Meta's throttling and temporary-trouble codes: trying later may work. */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80006, 130429, 131000, 131016, 131056]);

/** A minimal Graph API client: POST JSON with a bearer token, errors as GraphRequestError or a transient network error. */
export class GraphClient {
  constructor(private readonly options: GraphOptions) {}

  url(path: string): string {
    return `${this.options.baseUrl.replace(/\/$/, '')}/${this.options.version}/${path.replace(/^\//, '')}`;
  }

  async post<T>(path: string, token: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': 'contact-hub' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: Error };
      throw new TransientDeliveryError(`Graph API unreachable: ${err.cause?.message ?? err.message}`);
    }
    const text = await res.text();
    let json: { error?: GraphError } & Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      /* not JSON: the status says enough */
    }
    if (res.ok && !json.error) return json as T;
    throw new GraphRequestError(res.status, json.error ?? { message: `${res.statusText || 'error'} ${text.slice(0, 200)}`.trim() }, retryAfterMs(res.headers.get('retry-after')));
  }
}

/** Turns a Graph error into the delivery pipeline's two kinds, with a reason staff can read. */
export function toDeliveryError(e: unknown, explain: (error: GraphError) => string | undefined = () => undefined): Error {
  if (!(e instanceof GraphRequestError)) return e as Error;
  const reason = explain(e.error) ?? e.message;
  const transient = e.status === 408 || e.status === 429 || e.status >= 500 || TRANSIENT_CODES.has(e.error.code ?? -1);
  return transient ? new TransientDeliveryError(reason, e.retryAfterMs) : new PermanentDeliveryError(reason);
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(value) - Date.now()) || undefined;
}
