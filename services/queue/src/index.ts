export { QueueModule } from './queue.module';
export { QueueLine } from './line/queue-line';
