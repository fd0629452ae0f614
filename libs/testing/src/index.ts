export * from './embedded-server';
export * from './http-client';
export * from './decider-spec';
