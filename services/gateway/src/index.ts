export { GatewayModule } from './gateway.module';
export { createHttpApp, listen, BODY_LIMIT_BYTES, LISTEN_BACKLOG } from './http/http-app';
