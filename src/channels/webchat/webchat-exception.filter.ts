import { ArgumentsHost, Catch, Logger, WsExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HubError, HubErrorCode } from '../../common/errors';

export type WebchatErrorCode = 'Validation' | 'NotFound' | 'Forbidden' | 'RateLimited' | 'Unavailable';

/** The widget knows five codes (docs/webchat-protocol.md); every hub code maps to one of them. */
function widgetCode(code: HubErrorCode): WebchatErrorCode {
  switch (code) {
    case 'Validation':
    case 'PayloadTooLarge':
    case 'UnsupportedType':
    case 'InvalidTransition':
    case 'Conflict':
      return 'Validation';
    case 'NotFound':
      return 'NotFound';
    case 'Forbidden':
    case 'Unauthorized':
    case 'SignatureInvalid':
      return 'Forbidden';
    case 'RateLimited':
      return 'RateLimited';
    default:
      return 'Unavailable';
  }
}

/**
 * The one place a /webchat command's error becomes its ack, `{ ok: false, error: { code, message } }`. Anything that is
 * not a HubError is a bug: logged with a correlation id, answered `Unavailable`. The socket stays connected.
 */
@Catch()
export class WebchatExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger('Webchat');

  catch(exception: unknown, host: ArgumentsHost): void {
    // A socket.io handler is called with (socket, payload, ack, pattern).
    const ack: unknown = host.getArgByIndex(2);
    const pattern = String(host.getArgByIndex(3) ?? 'command');
    if (typeof ack === 'function') ack(this.toAck(exception, pattern));
  }

  toAck(exception: unknown, pattern: string) {
    if (exception instanceof HubError) {
      const retry = exception.details?.retryAfterSeconds;
      return { ok: false, error: { code: widgetCode(exception.code), message: exception.message, ...(retry === undefined ? {} : { retryAfterSeconds: retry }) } };
    }
    const correlationId = randomUUID();
    this.logger.error(`${pattern} failed [${correlationId}]: ${(exception as Error)?.stack ?? String(exception)}`);
    return { ok: false, error: { code: 'Unavailable', message: 'Something went wrong on our side; please try again', correlationId } };
  }
}
