import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Deeper than any body the API takes (its bodies are flat objects; admin seats are two levels). */
export const MAX_JSON_DEPTH = 32;

/** A client error raised while reading the body, mapped by the error filter to its status and message. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code = 'CONCERT_BAD_BODY',
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * Parses a JSON body and refuses, each with its own clear 4xx: an encoded body (415: the API does
 * not inflate), an empty one, malformed JSON, nesting deeper than MAX_JSON_DEPTH, and keys that could
 * pollute prototypes further down (`__proto__` anywhere; `constructor` holding `prototype`).
 * Iterative, so a body of a million brackets cannot overflow the stack.
 */
export function parseJsonBody(text: string, contentEncoding?: string | string[]): unknown {
  const encoding = Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding;
  if (encoding !== undefined && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity') {
    throw new BodyError(415, 'Content-Encoding is not supported: send the JSON body uncompressed', 'CONCERT_BAD_ENCODING');
  }
  if (text.length === 0) throw new BodyError(400, 'Request body must not be empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyError(400, 'Malformed JSON in request body');
  }
  checkShape(value);
  return value;
}

function checkShape(root: unknown): void {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new BodyError(400, `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child)) {
        throw new BodyError(400, 'Request body must not contain __proto__ or constructor.prototype keys');
      }
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

/** Replaces Fastify's JSON parser with `parseJsonBody` (same body limit: over it is a 413). */
export function installJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'), request.headers['content-encoding']));
      } catch (err) {
        done(err as Error);
      }
    },
  );
}
