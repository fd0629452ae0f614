/** Every error that crosses a service boundary, mapped once to HTTP in the gateway. */
export enum ErrorCode {
  InvalidUserId = 'INVALID_USER_ID',
  ValidationFailed = 'VALIDATION_FAILED',
  InvalidToken = 'INVALID_TOKEN',
  TokenNotActive = 'TOKEN_NOT_ACTIVE',
  Forbidden = 'FORBIDDEN',
  ConcertNotFound = 'CONCERT_NOT_FOUND',
  ScheduleNotFound = 'SCHEDULE_NOT_FOUND',
  SeatNotFound = 'SEAT_NOT_FOUND',
  SeatAlreadyReserved = 'SEAT_ALREADY_RESERVED',
  ReservationNotFound = 'RESERVATION_NOT_FOUND',
  ReservationExpired = 'RESERVATION_EXPIRED',
  ReservationNotActive = 'RESERVATION_NOT_ACTIVE',
  AmountNotPositive = 'AMOUNT_NOT_POSITIVE',
  InvalidAmount = 'INVALID_AMOUNT',
  InsufficientBalance = 'INSUFFICIENT_BALANCE',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  ConcertAlreadyExists = 'CONCERT_ALREADY_EXISTS',
  ScheduleAlreadyExists = 'SCHEDULE_ALREADY_EXISTS',
  AdminDisabled = 'ADMIN_DISABLED',
  AdminKeyInvalid = 'ADMIN_KEY_INVALID',
  Unavailable = 'UNAVAILABLE',
  /** Between services: a change was refused because the event it must follow is not stored (never an HTTP answer). */
  RequiredEventMissing = 'REQUIRED_EVENT_MISSING',
  Internal = 'INTERNAL',
}

/** The seed API's messages, exact where the seed gives them. */
export const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  [ErrorCode.InvalidUserId]: 'Invalid user ID format',
  [ErrorCode.ValidationFailed]: 'Validation failed',
  [ErrorCode.InvalidToken]: 'Invalid or expired token',
  [ErrorCode.TokenNotActive]: 'Queue token is not active',
  [ErrorCode.Forbidden]: 'Access denied',
  [ErrorCode.ConcertNotFound]: 'Concert not found',
  [ErrorCode.ScheduleNotFound]: 'Schedule not found',
  [ErrorCode.SeatNotFound]: 'Seat not found',
  [ErrorCode.SeatAlreadyReserved]: 'Seat is already reserved',
  [ErrorCode.ReservationNotFound]: 'Reservation not found',
  [ErrorCode.ReservationExpired]: 'Reservation has expired',
  [ErrorCode.ReservationNotActive]: 'Reservation is not active',
  [ErrorCode.AmountNotPositive]: 'Amount must be positive',
  [ErrorCode.InvalidAmount]: 'Amount must be an integer',
  [ErrorCode.InsufficientBalance]: 'Insufficient balance',
  [ErrorCode.IdempotencyKeyReused]: 'Idempotency-Key was already used for a different request',
  [ErrorCode.ConcertAlreadyExists]: 'Concert already exists',
  [ErrorCode.ScheduleAlreadyExists]: 'Schedule already exists',
  [ErrorCode.AdminDisabled]: 'Not Found',
  [ErrorCode.AdminKeyInvalid]: 'Invalid admin key',
  [ErrorCode.Unavailable]: 'Service unavailable',
  [ErrorCode.RequiredEventMissing]: 'The event this change must follow is not stored',
  [ErrorCode.Internal]: 'Internal server error',
};

export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.InvalidUserId]: 400,
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.InvalidToken]: 401,
  [ErrorCode.TokenNotActive]: 403,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.ConcertNotFound]: 404,
  [ErrorCode.ScheduleNotFound]: 404,
  [ErrorCode.SeatNotFound]: 404,
  [ErrorCode.SeatAlreadyReserved]: 409,
  [ErrorCode.ReservationNotFound]: 404,
  [ErrorCode.ReservationExpired]: 400,
  [ErrorCode.ReservationNotActive]: 409,
  [ErrorCode.AmountNotPositive]: 400,
  [ErrorCode.InvalidAmount]: 400,
  [ErrorCode.InsufficientBalance]: 402,
  [ErrorCode.IdempotencyKeyReused]: 422,
  [ErrorCode.ConcertAlreadyExists]: 409,
  [ErrorCode.ScheduleAlreadyExists]: 409,
  [ErrorCode.AdminDisabled]: 404,
  [ErrorCode.AdminKeyInvalid]: 401,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.RequiredEventMissing]: 500,
  [ErrorCode.Internal]: 500,
};

/** A typed domain error; travels across the bus as `{code, message}`. */
export class DomainError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string = DEFAULT_MESSAGES[code]) {
    // These are answers (409, 402, …), not faults: no stack, whose capture dominates an on-sale's 409 path.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.name = 'DomainError';
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  static is(value: unknown, code?: ErrorCode): value is DomainError {
    return value instanceof DomainError && (code === undefined || value.code === code);
  }
}
