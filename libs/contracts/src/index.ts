export * from './events';
export * from './errors';
export * from './queue';
export * from './booking';
export * from './wallet';
export * from './upcast';
export * from './time';
