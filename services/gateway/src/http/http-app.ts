import { INestApplication, LogLevel, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig, CONFIG } from '@concert/platform';
import { errorBody } from './http-error';
import { installJsonParser } from './json-body';
import { openApiDocument } from './openapi';
import { installRateLimit, RateLimiter } from './rate-limit';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * Connections the kernel may hold for us before we accept them (it caps this at net.core.somaxconn).
 * Node's default of 511 is too few for an on-sale opening: a burst of a thousand connects drops SYNs,
 * and those clients retry only after a second or three.
 */
export const LISTEN_BACKLOG = 4096;

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
    // URLs the router cannot even read (bad percent-encoding, an over-long path parameter) never reach
    // Nest: answer them here, in the same shape as every other error.
    frameworkErrors: (error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'Malformed URL: invalid percent-encoding';
      void reply.code(400).header('content-type', 'application/json; charset=utf-8').send(errorBody(400, message));
    },
  });
  // The API speaks JSON only, through its own parser (body limit, encoded bodies, depth and
  // prototype-pollution keys refused) and nothing else: text/plain or form bodies get 415 instead of
  // reaching a controller as a string.
  const fastify = adapter.getInstance();
  fastify.removeContentTypeParser('text/plain');
  installJsonParser(fastify, BODY_LIMIT_BYTES);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    abortOnError: false,
    bodyParser: false,
  });
  const config = configOf(app);
  if (config) {
    installRateLimit(
      fastify,
      new RateLimiter({ perIp: config.rateLimitRpsPerIp, perToken: config.rateLimitRpsPerToken, jwtSecret: config.jwtSecret }),
    );
  }
  SwaggerModule.setup('docs', app as unknown as INestApplication, openApiDocument as never, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  if (options.shutdownHooks ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}

/** Starts serving on `host:port` with a listen backlog sized for an on-sale burst. */
export async function listen(app: NestFastifyApplication, port: number, host: string): Promise<void> {
  await app.listen({ port, host, backlog: LISTEN_BACKLOG });
}

/** The validated settings, when the module provides them (CONFIG); rate limits are off without them. */
function configOf(app: NestFastifyApplication): AppConfig | undefined {
  try {
    return app.get<symbol, AppConfig>(CONFIG, { strict: false });
  } catch {
    return undefined;
  }
}
