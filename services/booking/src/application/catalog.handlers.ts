import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AvailableDatesReply, AvailableSeatsReply, concertStream, DomainError, ErrorCode, SeatSpec } from '@concert/contracts';
import { execute } from '@concert/event-store';
import { catalogDecider } from '../domain/catalog.decider';
import { BookingRuntime } from './booking.runtime';

export class AvailableDatesQuery {
  constructor(readonly concertId: number) {}
}

@QueryHandler(AvailableDatesQuery)
export class AvailableDatesHandler implements IQueryHandler<AvailableDatesQuery, AvailableDatesReply> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ concertId }: AvailableDatesQuery): Promise<AvailableDatesReply> {
    const dates = this.runtime.view.availableDates(concertId, this.runtime.clock.now().getTime());
    if (!dates) throw new DomainError(ErrorCode.ConcertNotFound);
    return { concertId, availableDates: dates };
  }
}

export class AvailableSeatsQuery {
  constructor(
    readonly concertId: number,
    readonly date: string,
  ) {}
}

@QueryHandler(AvailableSeatsQuery)
export class AvailableSeatsHandler implements IQueryHandler<AvailableSeatsQuery, AvailableSeatsReply> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ concertId, date }: AvailableSeatsQuery): Promise<AvailableSeatsReply> {
    const seats = this.runtime.view.availableSeats(concertId, date, this.runtime.clock.now().getTime());
    if (!seats) throw new DomainError(ErrorCode.ConcertNotFound);
    return { concertId, date, seats };
  }
}

export class CreateConcertCommand {
  constructor(
    readonly concertId: number,
    readonly title: string,
  ) {}
}

@CommandHandler(CreateConcertCommand)
export class CreateConcertHandler implements ICommandHandler<CreateConcertCommand, { concertId: number; title: string }> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ concertId, title }: CreateConcertCommand): Promise<{ concertId: number; title: string }> {
    const now = this.runtime.clock.now();
    const result = await execute(
      this.runtime.store,
      concertStream(concertId),
      catalogDecider,
      { type: 'CreateConcert', concertId, title, now },
      { now },
    );
    if (result.appended) await this.runtime.catchUp(result.appended.position);
    return { concertId, title };
  }
}

export class AddScheduleCommand {
  constructor(
    readonly concertId: number,
    readonly date: string,
    readonly seats: SeatSpec[],
  ) {}
}

@CommandHandler(AddScheduleCommand)
export class AddScheduleHandler implements ICommandHandler<
  AddScheduleCommand,
  { concertId: number; date: string; seats: SeatSpec[] }
> {
  constructor(private readonly runtime: BookingRuntime) {}

  async execute({ concertId, date, seats }: AddScheduleCommand): Promise<{ concertId: number; date: string; seats: SeatSpec[] }> {
    const now = this.runtime.clock.now();
    const result = await execute(
      this.runtime.store,
      concertStream(concertId),
      catalogDecider,
      { type: 'AddSchedule', concertId, date, seats, now },
      { now },
    );
    if (result.appended) await this.runtime.catchUp(result.appended.position);
    return { concertId, date, seats };
  }
}
