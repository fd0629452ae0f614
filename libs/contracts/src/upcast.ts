import { DomainEvent, StoredEvent } from './events';

type Upcaster = (data: any) => unknown;

/**
 * Old event versions stay readable forever: each entry lifts `type` at `version` to `version + 1`.
 * Readers (deciders, read models, the audit) only ever see the newest shape.
 */
const UPCASTERS: Record<string, Record<number, Upcaster>> = {
  // TokenExpired v1 had no reason; those were all TTL expiries.
  TokenExpired: { 1: (d) => ('reason' in d ? d : { ...d, reason: 'ACTIVE_TTL' }) },
};

export const CURRENT_VERSIONS: Record<string, number> = { TokenExpired: 2 };

export function currentVersion(type: string): number {
  return CURRENT_VERSIONS[type] ?? 1;
}

export function upcast<E extends DomainEvent = DomainEvent>(event: Pick<StoredEvent, 'type' | 'version' | 'data'>): E {
  let { version, data } = event;
  const chain = UPCASTERS[event.type];
  while (chain?.[version]) {
    data = chain[version](data);
    version += 1;
  }
  return { type: event.type, data } as E;
}
