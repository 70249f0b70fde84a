/**
 * Typed errors for the whole hub. Services throw HubError, never Nest HTTP exceptions; the HTTP filter and
 * (later) the WebSocket filter map the code once. An unmapped code fails to compile in httpStatusFor().
 */
export type HubErrorCode =
  | 'NotFound'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Conflict'
  | 'InvalidTransition'
  | 'Validation'
  | 'SignatureInvalid'
  | 'PayloadTooLarge'
  | 'UnsupportedType'
  | 'RateLimited'
  | 'Unavailable';

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HubError';
  }

  static notFound(what: string, id?: string | number): HubError {
    return new HubError('NotFound', id === undefined ? `${what} not found` : `${what} ${id} not found`);
  }

  static validation(message: string, details?: Record<string, unknown>): HubError {
    return new HubError('Validation', message, details);
  }

  static conflict(message: string, details?: Record<string, unknown>): HubError {
    return new HubError('Conflict', message, details);
  }

  static forbidden(message = 'You may not do that'): HubError {
    return new HubError('Forbidden', message);
  }

  static unauthorized(message = 'Sign in first'): HubError {
    return new HubError('Unauthorized', message);
  }
}

export function httpStatusFor(code: HubErrorCode): number {
  switch (code) {
    case 'Validation':
      return 400;
    case 'Unauthorized':
      return 401;
    case 'SignatureInvalid':
    case 'Forbidden':
      return 403;
    case 'NotFound':
      return 404;
    case 'Conflict':
    case 'InvalidTransition':
      return 409;
    case 'PayloadTooLarge':
      return 413;
    case 'UnsupportedType':
      return 415;
    case 'RateLimited':
      return 429;
    case 'Unavailable':
      return 503;
    default: {
      const unmapped: never = code;
      return unmapped;
    }
  }
}
