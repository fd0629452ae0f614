export const CLOCK = Symbol('CLOCK');

/** Time enters the domain through commands; handlers take it from here. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
