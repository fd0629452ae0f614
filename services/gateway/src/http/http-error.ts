import { HttpException } from '@nestjs/common';
import { DomainError, ErrorCode, HTTP_STATUS } from '@concert/contracts';

export interface ErrorBody {
  statusCode: number;
  message: string;
  error: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, message, error: REASONS[statusCode] ?? (statusCode >= 500 ? 'Internal Server Error' : 'Bad Request') };
}

/** Every failure, whatever threw it, in the seed's shape `{statusCode, message, error}`. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) return errorBody(HTTP_STATUS[err.code] ?? 500, err.message);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? err.message);
    return errorBody(status, message);
  }
  const fastifyError = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return errorBody(fastifyError.statusCode, clientMessage(fastifyError));
  }
  return errorBody(500, 'Internal server error');
}

function clientMessage(err: { statusCode?: number; code?: string; message?: string }): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Content-Type must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body must not be empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case undefined:
      if (err instanceof SyntaxError || /JSON/i.test(err.message ?? '')) return 'Malformed JSON in request body';
      return err.message ?? 'Bad Request';
    default:
      return err.message ?? 'Bad Request';
  }
}

export const validation = (message: string): DomainError => new DomainError(ErrorCode.ValidationFailed, message);
