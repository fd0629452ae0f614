import { CatalogEvent, DomainError, ErrorCode, isoTime, SeatSpec } from '@concert/contracts';
import { Decider } from '@concert/event-store';

export type CatalogState = { exists: false } | { exists: true; dates: ReadonlySet<string> };

export type CreateConcert = { type: 'CreateConcert'; concertId: number; title: string; now: Date };
export type AddSchedule = { type: 'AddSchedule'; concertId: number; date: string; seats: SeatSpec[]; now: Date };
export type CatalogCommand = CreateConcert | AddSchedule;

/** A concert, its dates and each date's seat map with prices (whole KRW). */
export const catalogDecider: Decider<CatalogState, CatalogCommand, CatalogEvent> = {
  initialState: () => ({ exists: false }),

  decide(command, state): CatalogEvent[] {
    switch (command.type) {
      case 'CreateConcert':
        if (state.exists) throw new DomainError(ErrorCode.ConcertAlreadyExists);
        return [
          {
            type: 'ConcertCreated',
            data: { concertId: command.concertId, title: command.title, createdAt: isoTime(command.now) },
          },
        ];
      case 'AddSchedule': {
        if (!state.exists) throw new DomainError(ErrorCode.ConcertNotFound);
        if (state.dates.has(command.date)) throw new DomainError(ErrorCode.ScheduleAlreadyExists);
        const numbers = new Set(command.seats.map((s) => s.seatNumber));
        if (command.seats.length === 0 || numbers.size !== command.seats.length) {
          throw new DomainError(ErrorCode.ValidationFailed, 'seats must be a non-empty list of distinct seat numbers');
        }
        return [
          {
            type: 'ScheduleAdded',
            data: { concertId: command.concertId, date: command.date, seats: command.seats, addedAt: isoTime(command.now) },
          },
        ];
      }
      default: {
        const exhaustive: never = command;
        throw new Error(`Unknown command ${JSON.stringify(exhaustive)}`);
      }
    }
  },

  evolve(state, event): CatalogState {
    switch (event.type) {
      case 'ConcertCreated':
        return { exists: true, dates: new Set() };
      case 'ScheduleAdded':
        return state.exists ? { exists: true, dates: new Set([...state.dates, event.data.date]) } : state;
      default:
        return state;
    }
  },
};
