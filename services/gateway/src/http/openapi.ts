/** The OpenAPI 3.0 document of the public API (the seed's eight endpoints, plus reservations read/cancel and admin). */
const error = (description: string, example?: { statusCode: number; message: string; error: string }) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, ...(example ? { example } : {}) } },
});
const json = (ref: string, description = 'OK') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const body = (ref: string) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const bearer = [{ queueToken: [] }];
const unauthorized = error('Missing, malformed, forged or unknown token', {
  statusCode: 401,
  message: 'Invalid or expired token',
  error: 'Unauthorized',
});
const notActive = error('Queue token is not ACTIVE', {
  statusCode: 403,
  message: 'Queue token is not active',
  error: 'Forbidden',
});
const tooMany = {
  ...error('Rate limit exceeded: retry after the seconds in Retry-After', {
    statusCode: 429,
    message: 'Too many requests: slow down and retry after the time in Retry-After',
    error: 'Too Many Requests',
  }),
  headers: { 'Retry-After': { required: true, description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
};
const idempotencyHeader = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Replays the first answer for the same key; the effect is applied once.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};
const uuid = { type: 'string', format: 'uuid' };
const date = { type: 'string', format: 'date', example: '2026-12-24' };
const positiveInt = { type: 'integer', minimum: 1, maximum: 9007199254740991 };

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'Concert booking API',
    version: '1.0.0',
    description: 'Waiting room, seat holds, wallet and payments. Every error is `{statusCode, message, error}`.',
  },
  components: {
    securitySchemes: { queueToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: {
        type: 'object',
        description: 'Every error, whatever its cause: exactly these three fields.',
        required: ['statusCode', 'message', 'error'],
        additionalProperties: false,
        properties: {
          statusCode: { type: 'integer', minimum: 400, maximum: 599 },
          message: { type: 'string', minLength: 1 },
          error: { type: 'string', minLength: 1 },
        },
      },
      TokenRequest: { type: 'object', required: ['userId'], properties: { userId: uuid } },
      TokenResponse: {
        type: 'object',
        required: ['token', 'queuePosition', 'estimatedWaitTime', 'status'],
        properties: {
          token: { type: 'string' },
          queuePosition: { type: 'integer', minimum: 0 },
          estimatedWaitTime: { type: 'integer', minimum: 0 },
          status: { type: 'string', enum: ['WAITING', 'ACTIVE'] },
        },
      },
      QueueStatus: {
        type: 'object',
        required: ['queuePosition', 'estimatedWaitTime', 'status'],
        properties: {
          queuePosition: { type: 'integer', minimum: 0 },
          estimatedWaitTime: { type: 'integer', minimum: 0 },
          status: { type: 'string', enum: ['WAITING', 'ACTIVE', 'EXPIRED'] },
        },
      },
      AvailableDates: {
        type: 'object',
        required: ['concertId', 'availableDates'],
        properties: { concertId: { type: 'integer' }, availableDates: { type: 'array', items: date } },
      },
      Seat: {
        type: 'object',
        required: ['seatNumber', 'price'],
        properties: { seatNumber: { type: 'integer' }, price: { type: 'integer' } },
      },
      AvailableSeats: {
        type: 'object',
        required: ['concertId', 'date', 'seats'],
        properties: {
          concertId: { type: 'integer' },
          date,
          seats: { type: 'array', items: { $ref: '#/components/schemas/Seat' } },
        },
      },
      ReservationRequest: {
        type: 'object',
        required: ['concertId', 'date', 'seatNumber'],
        properties: { concertId: positiveInt, date, seatNumber: positiveInt },
      },
      Reservation: {
        type: 'object',
        required: ['reservationId', 'concertId', 'date', 'seatNumber', 'status', 'expiresAt', 'price'],
        properties: {
          reservationId: uuid,
          concertId: { type: 'integer' },
          date,
          seatNumber: { type: 'integer' },
          status: { type: 'string', enum: ['TEMPORARILY_RESERVED', 'CONFIRMED', 'EXPIRED', 'CANCELLED'] },
          expiresAt: { type: 'string', format: 'date-time' },
          price: { type: 'integer' },
        },
      },
      Balance: {
        type: 'object',
        required: ['userId', 'balance'],
        properties: { userId: uuid, balance: { type: 'integer', minimum: 0 } },
      },
      ChargeRequest: {
        type: 'object',
        required: ['amount'],
        properties: { amount: { type: 'integer', minimum: 1, maximum: 10000000 } },
      },
      Charge: {
        type: 'object',
        required: ['userId', 'chargedAmount', 'balance', 'chargedAt'],
        properties: {
          userId: uuid,
          chargedAmount: { type: 'integer' },
          balance: { type: 'integer' },
          chargedAt: { type: 'string', format: 'date-time' },
        },
      },
      PaymentRequest: { type: 'object', required: ['reservationId'], properties: { reservationId: uuid } },
      Payment: {
        type: 'object',
        required: ['paymentId', 'reservationId', 'userId', 'amount', 'status', 'paidAt'],
        properties: {
          paymentId: uuid,
          reservationId: uuid,
          userId: uuid,
          amount: { type: 'integer' },
          status: { type: 'string', enum: ['COMPLETED'] },
          paidAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
  paths: {
    '/queue/token': {
      post: {
        summary: 'Issue a waiting-room token (the same one again while it is live)',
        requestBody: body('TokenRequest'),
        responses: {
          '200': json('TokenResponse'),
          '400': error('Invalid user id', { statusCode: 400, message: 'Invalid user ID format', error: 'Bad Request' }),
          '413': error('Body over 1 MiB'),
          '415': error('Not JSON'),
          '429': tooMany,
        },
      },
    },
    '/queue/status': {
      get: {
        summary: 'Position and status of the caller’s token',
        security: bearer,
        responses: { '200': json('QueueStatus'), '401': unauthorized, '429': tooMany },
      },
    },
    '/concerts/{concertId}/available-dates': {
      get: {
        summary: 'Future dates with at least one free seat',
        security: bearer,
        parameters: [{ name: 'concertId', in: 'path', required: true, schema: positiveInt }],
        responses: {
          '200': json('AvailableDates'),
          '400': error('Invalid concert id'),
          '401': unauthorized,
          '403': notActive,
          '404': error('Unknown concert', { statusCode: 404, message: 'Concert not found', error: 'Not Found' }),
          '429': tooMany,
        },
      },
    },
    '/concerts/{concertId}/available-seats': {
      get: {
        summary: 'Free seats of one date, with prices',
        security: bearer,
        parameters: [
          { name: 'concertId', in: 'path', required: true, schema: positiveInt },
          { name: 'date', in: 'query', required: true, schema: date },
        ],
        responses: {
          '200': json('AvailableSeats'),
          '400': error('Invalid concert id or date'),
          '401': unauthorized,
          '403': notActive,
          '404': error('Unknown concert', { statusCode: 404, message: 'Concert not found', error: 'Not Found' }),
          '429': tooMany,
        },
      },
    },
    '/reservations': {
      post: {
        summary: 'Hold a seat for HOLD_TTL_SECONDS',
        security: bearer,
        requestBody: body('ReservationRequest'),
        responses: {
          '201': json('Reservation', 'Held'),
          '400': error('Invalid input'),
          '401': unauthorized,
          '403': notActive,
          '404': error('Unknown concert, date or seat'),
          '409': error('Seat taken', { statusCode: 409, message: 'Seat is already reserved', error: 'Conflict' }),
          '413': error('Body over 1 MiB'),
          '415': error('Not JSON'),
          '429': tooMany,
        },
      },
    },
    '/reservations/{reservationId}': {
      parameters: [{ name: 'reservationId', in: 'path', required: true, schema: uuid }],
      get: {
        summary: 'One of the caller’s reservations',
        security: bearer,
        responses: {
          '200': json('Reservation'),
          '400': error('Invalid id'),
          '401': unauthorized,
          '403': notActive,
          '404': error('Not found'),
          '429': tooMany,
        },
      },
      delete: {
        summary: 'Cancel a hold (the seat is free at once)',
        security: bearer,
        responses: {
          '200': json('Reservation'),
          '400': error('Invalid id, or the hold has expired'),
          '401': unauthorized,
          '403': notActive,
          '404': error('Not found'),
          '409': error('Already confirmed'),
          '429': tooMany,
        },
      },
    },
    '/users/{userId}/balance': {
      get: {
        summary: 'Wallet balance (owner’s token only)',
        security: bearer,
        parameters: [{ name: 'userId', in: 'path', required: true, schema: uuid }],
        responses: {
          '200': json('Balance'),
          '400': error('Invalid user id'),
          '401': unauthorized,
          '403': error('Not the owner'),
          '429': tooMany,
        },
      },
    },
    '/users/{userId}/charge': {
      post: {
        summary: 'Charge the wallet (owner’s token only)',
        security: bearer,
        parameters: [{ name: 'userId', in: 'path', required: true, schema: uuid }, idempotencyHeader],
        requestBody: body('ChargeRequest'),
        responses: {
          '200': json('Charge'),
          '400': error('Amount not a positive integer within the maximum', {
            statusCode: 400,
            message: 'Amount must be positive',
            error: 'Bad Request',
          }),
          '401': unauthorized,
          '403': error('Not the owner'),
          '413': error('Body over 1 MiB'),
          '415': error('Not JSON'),
          '422': error('Idempotency-Key reused for a different request'),
          '429': tooMany,
        },
      },
    },
    '/payments': {
      post: {
        summary: 'Pay a held seat from the wallet',
        security: bearer,
        parameters: [idempotencyHeader],
        requestBody: body('PaymentRequest'),
        responses: {
          '200': json('Payment'),
          '400': error('Invalid id, or the reservation has expired', {
            statusCode: 400,
            message: 'Reservation has expired',
            error: 'Bad Request',
          }),
          '401': unauthorized,
          '402': error('Insufficient balance', { statusCode: 402, message: 'Insufficient balance', error: 'Payment Required' }),
          '403': notActive,
          '404': error('Unknown reservation'),
          '409': error('Reservation was cancelled'),
          '413': error('Body over 1 MiB'),
          '415': error('Not JSON'),
          '422': error('Idempotency-Key reused for a different request'),
          '429': tooMany,
        },
      },
    },
  },
};
