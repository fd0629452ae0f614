import { DomainError, DomainEvent, ErrorCode } from '@concert/contracts';
import { Decider } from '@concert/event-store';

/** Emmett-style decider spec: `given(events).when(command).then(events)` or `.thenThrows(code)`. */
export function deciderSpec<S, C, E extends DomainEvent>(decider: Decider<S, C, E>) {
  return {
    given(events: E[]) {
      return {
        when(command: C) {
          const decide = (): E[] => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
          return {
            then(expected: E[]): void {
              expect(decide()).toEqual(expected);
            },
            thenNothing(): void {
              expect(decide()).toEqual([]);
            },
            thenThrows(code: ErrorCode): void {
              let thrown: unknown;
              try {
                decide();
              } catch (err) {
                thrown = err;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
            },
          };
        },
      };
    },
  };
}
