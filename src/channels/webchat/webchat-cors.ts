import type { NextFunction, Request, Response } from 'express';

/** Every HTTP route of the widget lives under this path. */
export const WEBCHAT_HTTP_PATH = '/webchat/v1';

/**
 * CORS for any origin, without credentials: the widget runs on council sites and authenticates with its token.
 * Mounted on WEBCHAT_HTTP_PATH before the body parsers (src/bootstrap.ts), so every answer carries the headers,
 * errors included: a malformed body, multer's 413, an unknown route. Without them the widget would see a network
 * error instead of the hub's message. Preflights are answered here.
 */
export function webchatCors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
  res.setHeader('Access-Control-Max-Age', '600');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
}
