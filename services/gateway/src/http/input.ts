import { DomainError, ErrorCode } from '@concert/contracts';
import { isCalendarDate, isPositiveSafeInteger, isUuid, parsePositiveIntParam } from '@concert/platform';
import { validation } from './http-error';

/** A JSON object body (not an array, not null); anything else is a 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw validation('Request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function concertIdParam(raw: unknown): number {
  const id = parsePositiveIntParam(raw);
  if (id === null) throw validation('concertId must be a positive integer');
  return id;
}

export function dateValue(raw: unknown): string {
  if (!isCalendarDate(raw)) throw validation('date must be a real calendar date in YYYY-MM-DD format');
  return raw;
}

export function positiveInteger(raw: unknown, name: string): number {
  if (!isPositiveSafeInteger(raw)) throw validation(`${name} must be a positive integer`);
  return raw;
}

export function userIdValue(raw: unknown): string {
  if (!isUuid(raw)) throw new DomainError(ErrorCode.InvalidUserId);
  return raw.toLowerCase();
}

export function reservationIdValue(raw: unknown): string {
  if (!isUuid(raw)) throw validation('Invalid reservation ID format');
  return raw.toLowerCase();
}

/** Idempotency-Key: 1–255 visible ASCII characters. */
export function idempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw validation('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return raw;
}
