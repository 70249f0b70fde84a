import { INestApplication } from '@nestjs/common';
import { json, urlencoded } from 'body-parser';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import { HubError } from './errors';
import { withoutNul } from './nul';

/** One megabyte is far above any real message; larger bodies get a 413 before anything is parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A route (exact path) whose bodies may be larger than BODY_LIMIT_BYTES: inbound email webhooks carry attachments. */
export interface RouteBodyLimit {
  path: string;
  limitBytes: number;
}

/**
 * JSON and form parsers that keep the raw bytes (providers sign exactly what they sent) and turn a malformed
 * or oversized body into a HubError, so the one HTTP filter answers it like any other bad input.
 */
export function useBodyParsers(app: INestApplication, routes: RouteBodyLimit[] = []): void {
  const keepRaw = (req: Request & { rawBody?: Buffer }, _res: Response, buf: Buffer) => {
    req.rawBody = buf;
  };
  const parsers = (limit: number) => [
    // NUL dropped from every string (see withoutNul): webhooks are looked up and stored by their fields; a signature
    // is checked on rawBody, the bytes as sent.
    wrap(json({ limit, verify: keepRaw, reviver: (_key: string, value: unknown) => (typeof value === 'string' ? withoutNul(value) : value) }), 'JSON', limit),
    wrap(urlencoded({ limit, extended: true, verify: keepRaw }), 'form', limit),
  ];
  const general = parsers(BODY_LIMIT_BYTES);
  const special = new Map(routes.map((r) => [r.path, parsers(r.limitBytes)]));
  for (const i of [0, 1]) app.use((req: Request, res: Response, next: NextFunction) => (special.get(req.path) ?? general)[i](req, res, next));
}

function wrap(parser: RequestHandler, kind: string, limit: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => parser(req, res, (err?: unknown) => next(err ? toHubError(err, kind, limit) : undefined));
}

function toHubError(err: unknown, kind: string, limit: number): HubError {
  const e = err as { type?: string; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new HubError('PayloadTooLarge', `The request body is over the ${limit} byte limit`, { limitBytes: limit });
    case 'entity.parse.failed':
      return HubError.validation(`Malformed ${kind}: ${e.message}`);
    default:
      return HubError.validation(`The request body cannot be read: ${e.message ?? 'unknown problem'}`);
  }
}
