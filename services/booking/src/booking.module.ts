import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import {
  AddScheduleRequest,
  BookingPatterns,
  CreateConcertRequest,
  HoldSeatRequest,
  PayRequest,
  ReservationRequest,
} from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { BookingRuntime } from './application/booking.runtime';
import {
  AddScheduleCommand,
  AddScheduleHandler,
  AvailableDatesHandler,
  AvailableDatesQuery,
  AvailableSeatsHandler,
  AvailableSeatsQuery,
  CreateConcertCommand,
  CreateConcertHandler,
} from './application/catalog.handlers';
import { DemoCatalogSeeder } from './application/demo-catalog.seeder';
import { HoldExpiryProcess } from './application/hold-expiry.process';
import { PayCommand, PayHandler } from './application/pay.handler';
import { PaymentSaga } from './application/payment.saga';
import {
  CancelReservationCommand,
  CancelReservationHandler,
  GetReservationHandler,
  GetReservationQuery,
  HoldSeatCommand,
  HoldSeatHandler,
} from './application/reservation.handlers';

/** Concerts, seats, holds and the payment saga. Reached only through `BookingPatterns`. */
@Module({
  imports: [CqrsModule],
  providers: [
    BookingRuntime,
    AvailableDatesHandler,
    AvailableSeatsHandler,
    CreateConcertHandler,
    AddScheduleHandler,
    HoldSeatHandler,
    GetReservationHandler,
    CancelReservationHandler,
    PaymentSaga,
    PayHandler,
    HoldExpiryProcess,
    DemoCatalogSeeder,
  ],
  exports: [PaymentSaga, HoldExpiryProcess],
})
export class BookingModule implements OnModuleInit {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  onModuleInit(): void {
    const { bus, commands, queries } = this;
    bus.handle(BookingPatterns.availableDates, (p: { concertId: number }) =>
      queries.execute(new AvailableDatesQuery(p.concertId)),
    );
    bus.handle(BookingPatterns.availableSeats, (p: { concertId: number; date: string }) =>
      queries.execute(new AvailableSeatsQuery(p.concertId, p.date)),
    );
    bus.handle(BookingPatterns.holdSeat, (p: HoldSeatRequest) =>
      commands.execute(new HoldSeatCommand(p.userId, p.concertId, p.date, p.seatNumber)),
    );
    bus.handle(BookingPatterns.getReservation, (p: ReservationRequest) =>
      queries.execute(new GetReservationQuery(p.userId, p.reservationId)),
    );
    bus.handle(BookingPatterns.cancelReservation, (p: ReservationRequest) =>
      commands.execute(new CancelReservationCommand(p.userId, p.reservationId)),
    );
    bus.handle(BookingPatterns.pay, (p: PayRequest) =>
      commands.execute(new PayCommand(p.userId, p.reservationId, p.idempotencyKey, p.replayOnly === true)),
    );
    bus.handle(BookingPatterns.createConcert, (p: CreateConcertRequest) =>
      commands.execute(new CreateConcertCommand(p.concertId, p.title)),
    );
    bus.handle(BookingPatterns.addSchedule, (p: AddScheduleRequest) =>
      commands.execute(new AddScheduleCommand(p.concertId, p.date, p.seats)),
    );
  }
}
