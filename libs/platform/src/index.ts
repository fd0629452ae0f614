export * from './config';
export * from './jwt';
export * from './keyed-mutex';
export * from './clock';
export * from './validation';
export * from './shutdown';
export * from './min-heap';
export * from './prng';
