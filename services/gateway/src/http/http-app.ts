import { INestApplication, LogLevel, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from './openapi';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpAppOptions {
  logger?: LogLevel[] | false;
  /**
   * Nest's shutdown hooks (close on SIGTERM/SIGINT, then re-raise the signal, so the process dies
   * by it). On by default; an entrypoint that wants a clean exit code handles signals itself.
   */
  shutdownHooks?: boolean;
}

/** Creates the Fastify-based Nest app with the API's error format on every path, docs included. */
export async function createHttpApp(module: Type | DynamicModule, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // The API speaks JSON only: Fastify's own JSON parser (body limit, __proto__ rejected) and nothing
  // else, so text/plain or form bodies get 415 instead of reaching a controller as a string.
  adapter.getInstance().removeContentTypeParser('text/plain');
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    abortOnError: false,
    bodyParser: false,
  });
  SwaggerModule.setup('docs', app as unknown as INestApplication, openApiDocument as never, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  if (options.shutdownHooks ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
