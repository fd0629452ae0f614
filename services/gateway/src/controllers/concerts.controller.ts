import { Controller, Get, Header, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { AvailableDatesReply, AvailableSeatsReply, BookingPatterns, SeatSpec } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { concertIdParam, dateValue } from '../http/input';
import { RequireToken, TokenGuard } from '../http/token.guard';

@Controller('concerts')
@UseGuards(TokenGuard)
@RequireToken('active')
export class ConcertsController {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  @Get(':concertId/available-dates')
  dates(@Param('concertId') concertId: string): Promise<AvailableDatesReply> {
    return this.bus.request(BookingPatterns.availableDates, { concertId: concertIdParam(concertId) });
  }

  /** The body, serialized once per free list: the read model hands out one list until a seat of that date changes. */
  @Get(':concertId/available-seats')
  @Header('content-type', 'application/json; charset=utf-8')
  async seats(@Param('concertId') concertId: string, @Query('date') date: unknown): Promise<string> {
    const reply = await this.bus.request<AvailableSeatsReply>(BookingPatterns.availableSeats, {
      concertId: concertIdParam(concertId),
      date: dateValue(date),
    });
    return serializedSeats(reply);
  }
}

const seatBodies = new WeakMap<readonly SeatSpec[], { concertId: number; date: string; body: string }>();

/** JSON of a seats reply, reused while its free list (the same array) is handed out again. */
export function serializedSeats(reply: AvailableSeatsReply): string {
  const known = seatBodies.get(reply.seats);
  if (known && known.concertId === reply.concertId && known.date === reply.date) return known.body;
  const body = seatsBody(reply);
  seatBodies.set(reply.seats, { concertId: reply.concertId, date: reply.date, body });
  return body;
}

/** The seat list of a date's last body: the seats' JSON joined by commas, and where each seat's JSON starts in it. */
interface SeatListText {
  seats: readonly SeatSpec[];
  text: string;
  /** `starts[i]`: where seat i's JSON starts in `text`; `starts[seats.length]` is `text.length + 1` (as if a comma followed). */
  starts: Int32Array;
}

/**
 * The last seat list serialized per concert and date, least recently used first. Bounded in count and in
 * characters of text (a stadium date's list is megabytes; each list's offsets add 4 bytes per seat): the
 * least recently used go first, and a list longer than the whole budget is not kept.
 */
const lastLists = new Map<string, SeatListText>();
const LAST_LISTS_MAX = 1024;
const LAST_LISTS_MAX_CHARS = 8_000_000;
let lastListsChars = 0;

/** What the seat-list cache holds (for specs). */
export function keptSeatLists(): { lists: number; chars: number } {
  return { lists: lastLists.size, chars: lastListsChars };
}

function keepList(key: string, list: SeatListText): void {
  const old = lastLists.get(key);
  if (old) {
    lastLists.delete(key);
    lastListsChars -= old.text.length;
  }
  if (list.text.length > LAST_LISTS_MAX_CHARS) return;
  lastLists.set(key, list);
  lastListsChars += list.text.length;
  for (const [oldest, dropped] of lastLists) {
    if (lastLists.size <= LAST_LISTS_MAX && lastListsChars <= LAST_LISTS_MAX_CHARS) break;
    lastLists.delete(oldest);
    lastListsChars -= dropped.text.length;
  }
}

/**
 * Seat objects seen before: the ends of every list first serialized plainly, and each seat stringified for
 * a kept list. A list whose first and last seats are both new came from elsewhere (over Kafka) or is new.
 */
const seenSeats = new WeakSet<SeatSpec>();

/**
 * `JSON.stringify(reply)`, built from the date's previous body when the read model hands out the same seat
 * objects again (the embedded mode): during an on-sale a date's free list loses a seat or two between
 * reads, so the new list is the old text cut where those seats were, with the JSON of any seat that came
 * back in between; serializing its hundreds of seats on every read was the largest single item of the
 * purchase profile (6.5 %; 7 % later, looking each seat's JSON up in a map). Seat objects that are new
 * each time (a reply that crossed Kafka) take plain `JSON.stringify`.
 */
function seatsBody(reply: AvailableSeatsReply): string {
  const { seats } = reply;
  if (seats.length === 0 || !(seenSeats.has(seats[0]) || seenSeats.has(seats[seats.length - 1]))) {
    // First seen, or from elsewhere: next time a list starting or ending with the same seat object is built seat by seat.
    if (seats.length > 0) seenSeats.add(seats[0]).add(seats[seats.length - 1]);
    return JSON.stringify(reply);
  }
  const key = `${reply.concertId}|${reply.date}`;
  const list = seatListText(seats, lastLists.get(key));
  keepList(key, list);
  // The reply's own fields in their own order, with the seat list spliced in where a placeholder stood.
  const frame = JSON.stringify({ ...reply, seats: 0 });
  const at = frame.lastIndexOf(SEATS_PLACEHOLDER);
  return `${frame.slice(0, at)}"seats":[${list.text}]${frame.slice(at + SEATS_PLACEHOLDER.length)}`;
}

/**
 * The seat list's text, reusing runs of `last`'s text for the seats (the same objects, in the same order)
 * both lists hold. Lists sorted by seat number (the read model's) find every shared seat; in any other
 * order the result is the same text, built from fewer runs.
 */
function seatListText(seats: readonly SeatSpec[], last: SeatListText | undefined): SeatListText {
  const old = last?.seats ?? [];
  const starts = new Int32Array(seats.length + 1);
  const pieces: string[] = [];
  // The run of `last`'s seats [runFrom, runTo) taken so far, as one slice of its text.
  let runFrom = -1;
  let runTo = -1;
  const endRun = (): void => {
    if (last && runFrom >= 0) pieces.push(last.text.slice(last.starts[runFrom], last.starts[runTo] - 1));
    runFrom = runTo = -1;
  };
  let at = 0;
  let i = 0;
  for (let j = 0; j < seats.length; j++) {
    const seat = seats[j];
    while (i < old.length && old[i] !== seat && old[i].seatNumber < seat.seatNumber) i++;
    starts[j] = at;
    if (last && i < old.length && old[i] === seat) {
      if (runTo !== i) {
        endRun();
        runFrom = i;
      }
      runTo = ++i;
      at += last.starts[i] - last.starts[i - 1];
    } else {
      endRun();
      const fragment = JSON.stringify(seat);
      seenSeats.add(seat);
      pieces.push(fragment);
      at += fragment.length + 1;
    }
  }
  endRun();
  starts[seats.length] = at;
  return { seats, text: pieces.join(','), starts };
}

const SEATS_PLACEHOLDER = '"seats":0';
