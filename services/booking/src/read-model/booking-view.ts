import {
  CatalogEvent,
  isoTime,
  parseIsoTime,
  PaymentEvent,
  ReservationStatus,
  ReservationView,
  SeatEvent,
  seatKey,
  SeatSpec,
  StoredEvent,
  upcast,
} from '@concert/contracts';

const DAY_MS = 86_400_000;

export interface ReservationRecord {
  reservationId: string;
  userId: string;
  concertId: number;
  date: string;
  seatNumber: number;
  price: number;
  expiresAt: string;
  expiresAtMs: number;
  status: 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';
}

export interface PaymentRecord {
  paymentId: string;
  reservationId: string;
  userId: string;
  amount: number;
  status: 'Started' | 'Completed' | 'Failed' | 'Refunded';
  startedAtMs: number;
  paidAt?: string;
}

interface Schedule {
  /** Seats in seat-number order with their price. */
  seats: SeatSpec[];
  /** Per seat (same order): 0 when free, the hold's deadline (ms) when held, Infinity when sold. */
  takenUntil: Float64Array;
  /** Per seat (same order): 1 once the seat has been held, i.e. once its stream exists. */
  everHeld: Uint8Array;
  /** Bumped by every seat event of this date: the cached free list is valid only for its version. */
  version: number;
  free?: { version: number; validUntil: number; seats: SeatSpec[] };
}

interface Concert {
  title: string;
  schedules: Map<string, Schedule>;
}

/**
 * Booking's read models, folded from its own events: the catalog, the current hold of each
 * seat, reservations by id, and payments by reservation. Every read applies the clock, so a
 * hold past its deadline is free at once, before the expiry process records it.
 */
export class BookingView {
  private readonly concerts = new Map<number, Concert>();
  private readonly seatHolder = new Map<string, ReservationRecord>();
  private seatsSold = 0;
  readonly reservations = new Map<string, ReservationRecord>();
  readonly openHolds = new Set<string>();
  readonly payments = new Map<string, PaymentRecord>();
  private today?: { from: number; text: string };
  position = 0;

  apply(stored: StoredEvent): void {
    const event = upcast<CatalogEvent | SeatEvent | PaymentEvent>(stored);
    switch (event.type) {
      case 'ConcertCreated':
        this.concerts.set(event.data.concertId, { title: event.data.title, schedules: new Map() });
        break;
      case 'ScheduleAdded': {
        const seats = [...event.data.seats].sort((a, b) => a.seatNumber - b.seatNumber);
        this.concerts.get(event.data.concertId)?.schedules.set(event.data.date, {
          seats,
          takenUntil: new Float64Array(seats.length),
          everHeld: new Uint8Array(seats.length),
          version: 0,
        });
        break;
      }
      case 'SeatHeld': {
        const d = event.data;
        // Built field by field: copying the event and deleting a field would put every record in
        // dictionary mode (several hundred bytes more each, a hundred thousand records after a year).
        const record: ReservationRecord = {
          reservationId: d.reservationId,
          userId: d.userId,
          concertId: d.concertId,
          date: d.date,
          seatNumber: d.seatNumber,
          price: d.price,
          expiresAt: d.expiresAt,
          expiresAtMs: parseIsoTime(d.expiresAt),
          status: 'HELD',
        };
        this.reservations.set(d.reservationId, record);
        this.seatHolder.set(seatKey(d.concertId, d.date, d.seatNumber), record);
        this.touch(d.concertId, d.date, d.seatNumber, record.expiresAtMs, true);
        this.openHolds.add(d.reservationId);
        break;
      }
      case 'SeatHoldCancelled':
        this.close(event.data.reservationId, 'CANCELLED');
        break;
      case 'SeatHoldExpired':
        this.close(event.data.reservationId, 'EXPIRED');
        break;
      case 'SeatSold': {
        const record = this.close(event.data.reservationId, 'CONFIRMED');
        if (record && this.touch(record.concertId, record.date, record.seatNumber, Number.POSITIVE_INFINITY)) {
          this.seatsSold += 1;
        }
        break;
      }
      case 'PaymentStarted': {
        // The reservation's own strings, not a second copy of each per payment.
        const reservation = this.reservations.get(event.data.reservationId);
        this.payments.set(event.data.reservationId, {
          paymentId: event.data.paymentId,
          reservationId: reservation?.reservationId ?? event.data.reservationId,
          userId: reservation?.userId === event.data.userId ? reservation.userId : event.data.userId,
          amount: event.data.amount,
          status: 'Started',
          startedAtMs: parseIsoTime(event.data.startedAt),
        });
        break;
      }
      case 'PaymentCompleted':
        this.settle(event.data.reservationId, 'Completed', event.data.paidAt);
        break;
      case 'PaymentFailed':
        this.settle(event.data.reservationId, 'Failed');
        break;
      case 'PaymentRefunded':
        this.settle(event.data.reservationId, 'Refunded');
        break;
    }
    this.position = stored.position;
  }

  /**
   * A seat of this date changed: its cached free list is stale, and the seat is taken until `takenUntil`
   * (a sold seat stays sold). True when the seat's value was written.
   */
  private touch(concertId: number, date: string, seatNumber: number, takenUntil?: number, held = false): boolean {
    const schedule = this.concerts.get(concertId)?.schedules.get(date);
    if (!schedule) return false;
    schedule.version += 1;
    if (takenUntil === undefined) return false;
    const i = seatIndex(schedule.seats, seatNumber);
    if (held && i >= 0) schedule.everHeld[i] = 1;
    if (i < 0 || schedule.takenUntil[i] === Number.POSITIVE_INFINITY) return false;
    schedule.takenUntil[i] = takenUntil;
    return true;
  }

  private close(reservationId: string, status: ReservationRecord['status']): ReservationRecord | undefined {
    const record = this.reservations.get(reservationId);
    if (!record) return undefined;
    record.status = status;
    this.openHolds.delete(reservationId);
    const key = seatKey(record.concertId, record.date, record.seatNumber);
    const holder = this.seatHolder.get(key) === record;
    if (holder) this.seatHolder.delete(key);
    // The seat is free again only if this hold was its latest one.
    this.touch(record.concertId, record.date, record.seatNumber, holder ? 0 : undefined);
    return record;
  }

  private settle(reservationId: string, status: PaymentRecord['status'], paidAt?: string): void {
    const payment = this.payments.get(reservationId);
    if (!payment) return;
    payment.status = status;
    if (paidAt) payment.paidAt = paidAt;
  }

  /** Sold, or held and not yet past its deadline, as of `now`. */
  isTaken(concertId: number, date: string, seatNumber: number, now: number): boolean {
    const schedule = this.concerts.get(concertId)?.schedules.get(date);
    if (!schedule) return false;
    const i = seatIndex(schedule.seats, seatNumber);
    return i >= 0 && now < schedule.takenUntil[i];
  }

  /**
   * No hold of this seat has been folded here: its stream most likely does not exist yet (another
   * instance may have written one a moment ago; the append with `no_stream` is what decides).
   */
  seatNeverHeld(concertId: number, date: string, seatNumber: number): boolean {
    const schedule = this.concerts.get(concertId)?.schedules.get(date);
    if (!schedule) return false;
    const i = seatIndex(schedule.seats, seatNumber);
    return i >= 0 && schedule.everHeld[i] === 0;
  }

  /** Catalog and sales totals (the audit's rebuild summary). */
  totals(): { concerts: number; dates: number; seatsSold: number } {
    let dates = 0;
    for (const concert of this.concerts.values()) dates += concert.schedules.size;
    return { concerts: this.concerts.size, dates, seatsSold: this.seatsSold };
  }

  hasConcert(concertId: number): boolean {
    return this.concerts.has(concertId);
  }

  isEmpty(): boolean {
    return this.concerts.size === 0;
  }

  seatPrice(concertId: number, date: string, seatNumber: number): number | undefined {
    const seats = this.concerts.get(concertId)?.schedules.get(date)?.seats;
    if (!seats) return undefined;
    const i = seatIndex(seats, seatNumber);
    return i >= 0 ? seats[i].price : undefined;
  }

  hasSchedule(concertId: number, date: string): boolean {
    return this.concerts.get(concertId)?.schedules.has(date) ?? false;
  }

  /** Seats nobody holds or bought, as of `now` (none for a date that has passed); undefined for an unknown concert. */
  availableSeats(concertId: number, date: string, now: number): SeatSpec[] | undefined {
    const concert = this.concerts.get(concertId);
    if (!concert) return undefined;
    const schedule = concert.schedules.get(date);
    if (!schedule || date < this.utcDay(now)) return [];
    return this.freeSeats(schedule, now);
  }

  /** `now`'s UTC date (YYYY-MM-DD), formatted once per day rather than on every seat read. */
  private utcDay(now: number): string {
    const day = this.today;
    if (day && now >= day.from && now < day.from + DAY_MS) return day.text;
    const from = now - (((now % DAY_MS) + DAY_MS) % DAY_MS);
    this.today = { from, text: isoTime(from).slice(0, 10) };
    return this.today.text;
  }

  /**
   * The free seats of one date, cached until the next seat event of that date or the next hold
   * deadline, whichever comes first: the hot read of an on-sale costs a lookup, not a scan.
   * The returned list is shared: callers must not change it.
   */
  private freeSeats(schedule: Schedule, now: number): SeatSpec[] {
    const cached = schedule.free;
    if (cached && cached.version === schedule.version && now < cached.validUntil) return cached.seats;
    // One pass over a number per seat: during an on-sale every hold and sale invalidates the list.
    let validUntil = Number.POSITIVE_INFINITY;
    const seats: SeatSpec[] = [];
    const taken = schedule.takenUntil;
    for (let i = 0; i < taken.length; i++) {
      const until = taken[i];
      if (until <= now) seats.push(schedule.seats[i]);
      else if (until < validUntil) validUntil = until;
    }
    schedule.free = { version: schedule.version, validUntil, seats };
    return seats;
  }

  /** Dates from `now`'s UTC date on (YYYY-MM-DD) that still have a free seat. */
  availableDates(concertId: number, now: number): string[] | undefined {
    const concert = this.concerts.get(concertId);
    if (!concert) return undefined;
    const today = this.utcDay(now);
    return [...concert.schedules.entries()]
      .filter(([date, schedule]) => date >= today && this.freeSeats(schedule, now).length > 0)
      .map(([date]) => date)
      .sort();
  }

  reservationView(record: ReservationRecord, now: number): ReservationView {
    const status: ReservationStatus =
      record.status === 'HELD' ? (now >= record.expiresAtMs ? 'EXPIRED' : 'TEMPORARILY_RESERVED') : record.status;
    return {
      reservationId: record.reservationId,
      concertId: record.concertId,
      date: record.date,
      seatNumber: record.seatNumber,
      status,
      expiresAt: record.expiresAt,
      price: record.price,
    };
  }
}

/** Index of a seat in a list kept in seat-number order, -1 if absent: a hall of ten thousand in fourteen steps. */
function seatIndex(seats: readonly SeatSpec[], seatNumber: number): number {
  let [lo, hi] = [0, seats.length - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const n = seats[mid].seatNumber;
    if (n === seatNumber) return mid;
    if (n < seatNumber) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
