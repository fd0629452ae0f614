export { GatewayModule } from './gateway.module';
export { createHttpApp, BODY_LIMIT_BYTES } from './http/http-app';
