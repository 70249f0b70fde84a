import { ArgumentsHost, Catch, Logger, WsExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HubError } from '../common/errors';
import type { Ack } from './console.events';

/**
 * The one place a /console command's error becomes its ack: a HubError keeps its code and message
 * (`{ ok: false, error: { code, message } }`); anything else is a bug, logged with a correlation id and answered
 * `Unavailable` without details. The socket stays connected either way.
 */
@Catch()
export class ConsoleExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger('Console');

  catch(exception: unknown, host: ArgumentsHost): void {
    // A socket.io handler is called with (socket, payload, ack, pattern).
    const ack: unknown = host.getArgByIndex(2);
    const pattern = String(host.getArgByIndex(3) ?? 'command');
    const body = this.toAck(exception, pattern);
    if (typeof ack === 'function') ack(body);
  }

  toAck(exception: unknown, pattern: string): Ack {
    if (exception instanceof HubError) {
      return { ok: false, error: { code: exception.code, message: exception.message, ...(exception.details ? { details: exception.details } : {}) } };
    }
    const correlationId = randomUUID();
    this.logger.error(`${pattern} failed [${correlationId}]: ${(exception as Error)?.stack ?? String(exception)}`);
    return { ok: false, error: { code: 'Unavailable', message: 'Something went wrong on our side; it has been logged', correlationId } };
  }
}
