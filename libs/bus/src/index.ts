export * from './bus.port';
export { InProcessBus } from './adapters/in-process/in-process-bus';
