import { Logger } from '@nestjs/common';
import { HubError } from '../common/errors';

/**
 * What a namespace's handshake middleware passes to next() when it turns a socket away (socket.io hands `data` to
 * the client's connect_error): a refused session is `Unauthorized` with its reason; anything else is our fault,
 * logged here, and the client only hears `Unavailable`.
 */
export function handshakeRefusal(e: unknown, logger: Logger, namespace: string): Error & { data?: unknown } {
  const refused = e instanceof HubError && e.code === 'Unauthorized';
  if (!refused) logger.error(`${namespace} handshake failed: ${(e as Error)?.stack ?? String(e)}`);
  const error: Error & { data?: unknown } = new Error(refused ? 'Unauthorized' : 'Unavailable');
  error.data = { code: refused ? 'Unauthorized' : 'Unavailable', message: refused ? (e as HubError).message : 'Try again shortly' };
  return error;
}
