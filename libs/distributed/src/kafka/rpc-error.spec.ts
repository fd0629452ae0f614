import { TimeoutError } from 'rxjs';
import { DomainError, ErrorCode } from '@concert/contracts';
import { fromRpcError, toRpcError } from './rpc-error';

/** What the Kafka transport does to an error body: JSON in a header, parsed back on the caller's side. */
const overTheWire = (body: unknown) => JSON.parse(JSON.stringify(body));

describe('RPC errors across the Kafka transport', () => {
  it('a DomainError arrives as a DomainError with the same code and message', () => {
    const back = fromRpcError(overTheWire(toRpcError(new DomainError(ErrorCode.SeatAlreadyReserved))));
    expect(back).toBeInstanceOf(DomainError);
    expect(back).toMatchObject({ code: ErrorCode.SeatAlreadyReserved, message: 'Seat is already reserved' });
    const custom = fromRpcError(overTheWire(toRpcError(new DomainError(ErrorCode.InvalidAmount, 'Amount must not exceed 5'))));
    expect(custom).toMatchObject({ code: ErrorCode.InvalidAmount, message: 'Amount must not exceed 5' });
  });

  it('any other error becomes INTERNAL and its text stays on the server', () => {
    expect(toRpcError(new Error('SQLITE_BUSY at /var/data/booking.db'))).toEqual({
      code: ErrorCode.Internal,
      message: 'Internal server error',
    });
    expect(toRpcError('boom')).toEqual({ code: ErrorCode.Internal, message: 'Internal server error' });
  });

  it('no reply, no handler, or an unknown code is UNAVAILABLE', () => {
    expect(fromRpcError(new TimeoutError())).toMatchObject({ code: ErrorCode.Unavailable });
    expect(fromRpcError('There is no matching message handler defined in the remote service.')).toMatchObject({
      code: ErrorCode.Unavailable,
    });
    expect(fromRpcError({ code: 'NOT_A_CODE', message: 'x' })).toMatchObject({ code: ErrorCode.Unavailable });
    expect(fromRpcError(new Error('KafkaJSConnectionError'))).toMatchObject({ code: ErrorCode.Unavailable });
  });

  it('a body without a message gets the code’s default message', () => {
    expect(fromRpcError({ code: ErrorCode.ReservationExpired })).toMatchObject({ message: 'Reservation has expired' });
  });
});
