export * from './embedded-server';
export * from './http-client';
