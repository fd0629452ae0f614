import { ConcertCreated, ErrorCode, ScheduleAdded } from '@concert/contracts';
import { deciderSpec } from '@concert/testing';
import { catalogDecider } from './catalog.decider';

const now = new Date('2030-05-01T10:00:00.000Z');
const seats = [
  { seatNumber: 1, price: 150_000 },
  { seatNumber: 2, price: 80_000 },
];
const created: ConcertCreated = { type: 'ConcertCreated', data: { concertId: 2, title: 'Encore', createdAt: now.toISOString() } };
const added = (date: string): ScheduleAdded => ({
  type: 'ScheduleAdded',
  data: { concertId: 2, date, seats, addedAt: now.toISOString() },
});

const { given } = deciderSpec(catalogDecider);

describe('catalog decider', () => {
  it('creates a concert once', () => {
    given([]).when({ type: 'CreateConcert', concertId: 2, title: 'Encore', now }).then([created]);
    given([created])
      .when({ type: 'CreateConcert', concertId: 2, title: 'Encore', now })
      .thenThrows(ErrorCode.ConcertAlreadyExists);
  });

  it('adds each date once, with its seat map', () => {
    given([created])
      .when({ type: 'AddSchedule', concertId: 2, date: '2030-06-01', seats, now })
      .then([added('2030-06-01')]);
    given([created, added('2030-06-01')])
      .when({ type: 'AddSchedule', concertId: 2, date: '2030-06-01', seats, now })
      .thenThrows(ErrorCode.ScheduleAlreadyExists);
  });

  it('needs the concert and a non-empty map of distinct seats', () => {
    given([]).when({ type: 'AddSchedule', concertId: 2, date: '2030-06-01', seats, now }).thenThrows(ErrorCode.ConcertNotFound);
    given([created])
      .when({ type: 'AddSchedule', concertId: 2, date: '2030-06-01', seats: [], now })
      .thenThrows(ErrorCode.ValidationFailed);
    given([created])
      .when({ type: 'AddSchedule', concertId: 2, date: '2030-06-01', seats: [seats[0], seats[0]], now })
      .thenThrows(ErrorCode.ValidationFailed);
  });
});
