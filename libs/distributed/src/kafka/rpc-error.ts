import { RpcException } from '@nestjs/microservices';
import { DEFAULT_MESSAGES, DomainError, ErrorCode } from '@concert/contracts';

/** What travels back to the caller when a handler fails: the domain error's code and message, nothing else. */
export interface RpcErrorBody {
  code: ErrorCode;
  message: string;
}

const CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** Server side: a thrown error as the reply's error body. Anything but a DomainError is an internal error. */
export function toRpcError(err: unknown): RpcErrorBody {
  const body: RpcErrorBody =
    err instanceof DomainError
      ? { code: err.code, message: err.message }
      : { code: ErrorCode.Internal, message: DEFAULT_MESSAGES[ErrorCode.Internal] };
  return new RpcException(body).getError() as RpcErrorBody;
}

/** Client side: whatever the transport failed with, as the DomainError the caller would get in-process. */
export function fromRpcError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err !== null && typeof err === 'object' && isErrorCode((err as RpcErrorBody).code)) {
    const { code, message } = err as RpcErrorBody;
    return new DomainError(code, typeof message === 'string' ? message : DEFAULT_MESSAGES[code]);
  }
  // No handler, no reply in time, broker unreachable: the service is not there for this request.
  return new DomainError(ErrorCode.Unavailable);
}
