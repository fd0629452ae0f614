import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DomainError, ErrorCode, ReservationView, seatStream } from '@concert/contracts';
import { execute } from '@concert/event-store';
import { seatDecider } from '../domain/seat.decider';
import { ReservationRecord } from '../read-model/booking-view';
import { BookingRuntime } from './booking.runtime';

export class HoldSeatCommand {
  constructor(
    readonly userId: string,
    readonly concertId: number,
    readonly date: string,
    readonly seatNumber: number,
  ) {}
}

@CommandHandler(HoldSeatCommand)
export class HoldSeatHandler implements ICommandHandler<HoldSeatCommand, ReservationView> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ userId, concertId, date, seatNumber }: HoldSeatCommand): Promise<ReservationView> {
    const { view } = this.runtime;
    if (!view.hasConcert(concertId)) throw new DomainError(ErrorCode.ConcertNotFound);
    if (!view.hasSchedule(concertId, date)) throw new DomainError(ErrorCode.ScheduleNotFound);
    const price = view.seatPrice(concertId, date, seatNumber);
    if (price === undefined) throw new DomainError(ErrorCode.SeatNotFound);
    // The read model answers the crowd that lost the race without touching the store; the append stays the guard.
    if (view.isTaken(concertId, date, seatNumber, this.runtime.clock.now().getTime())) {
      throw new DomainError(ErrorCode.SeatAlreadyReserved);
    }
    const stream = seatStream(concertId, date, seatNumber);
    const reservationId = randomUUID();
    return this.runtime.locks.run(stream, async () => {
      const now = this.runtime.clock.now();
      const result = await execute(
        this.runtime.store,
        stream,
        seatDecider,
        {
          type: 'HoldSeat',
          reservationId,
          userId,
          concertId,
          date,
          seatNumber,
          price,
          now,
          ttlSeconds: this.runtime.config.holdTtlSeconds,
        },
        // A seat never held has no stream yet: the first hold is written without reading it.
        { now, likelyNew: view.seatNeverHeld(concertId, date, seatNumber) },
      );
      if (result.appended) await this.runtime.catchUp(result.appended.position);
      return view.reservationView(ownReservation(this.runtime, reservationId, userId), now.getTime());
    });
  }
}

/** A reservation of this user; anybody else's reads as not found, so ids reveal nothing. */
export function ownReservation(runtime: BookingRuntime, reservationId: string, userId: string): ReservationRecord {
  const record = runtime.view.reservations.get(reservationId);
  if (!record || record.userId !== userId) throw new DomainError(ErrorCode.ReservationNotFound);
  return record;
}

export class GetReservationQuery {
  constructor(
    readonly userId: string,
    readonly reservationId: string,
  ) {}
}

@QueryHandler(GetReservationQuery)
export class GetReservationHandler implements IQueryHandler<GetReservationQuery, ReservationView> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ userId, reservationId }: GetReservationQuery): Promise<ReservationView> {
    const record = ownReservation(this.runtime, reservationId, userId);
    return this.runtime.view.reservationView(record, this.runtime.clock.now().getTime());
  }
}

export class CancelReservationCommand {
  constructor(
    readonly userId: string,
    readonly reservationId: string,
  ) {}
}

@CommandHandler(CancelReservationCommand)
export class CancelReservationHandler implements ICommandHandler<CancelReservationCommand, ReservationView> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ userId, reservationId }: CancelReservationCommand): Promise<ReservationView> {
    // An expiry the sweep has just recorded must answer like one the clock implies.
    await this.runtime.catchUp();
    const record = ownReservation(this.runtime, reservationId, userId);
    if (record.status === 'CANCELLED') return this.runtime.view.reservationView(record, this.runtime.clock.now().getTime());
    if (record.status === 'EXPIRED') throw new DomainError(ErrorCode.ReservationExpired);
    if (record.status === 'CONFIRMED') throw new DomainError(ErrorCode.ReservationNotActive);
    const stream = seatStream(record.concertId, record.date, record.seatNumber);
    return this.runtime.locks.run(stream, async () => {
      const now = this.runtime.clock.now();
      try {
        const result = await execute(
          this.runtime.store,
          stream,
          seatDecider,
          { type: 'CancelHold', reservationId, userId, now },
          { now },
        );
        if (result.appended) await this.runtime.catchUp(result.appended.position);
      } catch (err) {
        // The hold ended while this cancel waited (expired and re-held, sold, cancelled): answer by how it ended.
        if (!DomainError.is(err, ErrorCode.ReservationNotActive)) throw err;
        await this.runtime.catchUp();
        if (record.status === 'EXPIRED') throw new DomainError(ErrorCode.ReservationExpired);
        if (record.status !== 'CANCELLED') throw err;
      }
      return this.runtime.view.reservationView(record, now.getTime());
    });
  }
}
