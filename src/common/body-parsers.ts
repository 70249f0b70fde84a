import { INestApplication } from '@nestjs/common';
import { json, urlencoded } from 'body-parser';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import { HubError } from './errors';

/** One megabyte is far above any real message; larger bodies get a 413 before anything is parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * JSON and form parsers that keep the raw bytes (providers sign exactly what they sent) and turn a malformed
 * or oversized body into a HubError, so the one HTTP filter answers it like any other bad input.
 */
export function useBodyParsers(app: INestApplication): void {
  const keepRaw = (req: Request & { rawBody?: Buffer }, _res: Response, buf: Buffer) => {
    req.rawBody = buf;
  };
  app.use(wrap(json({ limit: BODY_LIMIT_BYTES, verify: keepRaw }), 'JSON'));
  app.use(wrap(urlencoded({ limit: BODY_LIMIT_BYTES, extended: true, verify: keepRaw }), 'form'));
}

function wrap(parser: RequestHandler, kind: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => parser(req, res, (err?: unknown) => next(err ? toHubError(err, kind) : undefined));
}

function toHubError(err: unknown, kind: string): HubError {
  const e = err as { type?: string; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new HubError('PayloadTooLarge', `The request body is over the ${BODY_LIMIT_BYTES} byte limit`);
    case 'entity.parse.failed':
      return HubError.validation(`Malformed ${kind}: ${e.message}`);
    default:
      return HubError.validation(`The request body cannot be read: ${e.message ?? 'unknown problem'}`);
  }
}
