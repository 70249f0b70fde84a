import { RawBodyRequest } from '@nestjs/common';
import { Request } from 'express';
import { Env } from '../config/env';
import { HubError } from '../common/errors';
import { RawRequest } from './channel-adapter';

/** What an adapter sees of an HTTP request; the public URL is rebuilt for providers that sign it. */
export function toRawRequest(req: RawBodyRequest<Request>, env: Env): RawRequest {
  const base = env.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
  return {
    headers: req.headers,
    rawBody: req.rawBody ?? Buffer.alloc(0),
    body: req.body,
    url: req.originalUrl,
    publicUrl: `${base}${req.originalUrl}`,
  };
}

export function requireJson(req: Request): void {
  if (!req.is('application/json')) throw HubError.validation('Content-Type must be application/json');
}
