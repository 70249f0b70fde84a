import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Request, Response } from 'express';
import { HubError, HubErrorCode, httpStatusFor } from './errors';

export interface ErrorBody {
  statusCode: number;
  error: { code: HubErrorCode | 'InternalError'; message: string; details?: Record<string, unknown>; correlationId?: string };
}

/** Maps every error to one JSON shape, once. A 500 is a bug: it is logged with a correlation id, no stack leaves. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = this.toBody(exception, req);
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown, req: Request): ErrorBody {
    if (exception instanceof HubError) {
      return { statusCode: httpStatusFor(exception.code), error: { code: exception.code, message: exception.message, details: exception.details } };
    }
    if (exception instanceof HttpException) return fromHttpException(exception);
    const correlationId = randomUUID();
    this.logger.error(`${req.method} ${req.url} failed [${correlationId}]: ${(exception as Error)?.stack ?? exception}`);
    return { statusCode: 500, error: { code: 'InternalError', message: 'Something went wrong on our side; it has been logged', correlationId } };
  }
}

function fromHttpException(e: HttpException): ErrorBody {
  const status = e.getStatus();
  const response = e.getResponse() as { message?: unknown } | string;
  const raw = typeof response === 'string' ? response : response.message;
  const message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? e.message);
  const code: HubErrorCode =
    status === 400 ? 'Validation' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound'
    : status === 409 ? 'Conflict' : status === 413 ? 'PayloadTooLarge' : status === 415 ? 'UnsupportedType' : status === 429 ? 'RateLimited' : 'Unavailable';
  return { statusCode: status, error: { code, message } };
}
