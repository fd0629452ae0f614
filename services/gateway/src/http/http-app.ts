import { INestApplication, LogLevel, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from './openapi';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpAppOptions {
  logger?: LogLevel[] | false;
}

/** Creates the Fastify-based Nest app with the API's error format on every path, docs included. */
export async function createHttpApp(module: Type | DynamicModule, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: false, routerOptions: { ignoreTrailingSlash: true } });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    abortOnError: false,
  });
  SwaggerModule.setup('docs', app as unknown as INestApplication, openApiDocument as never, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
