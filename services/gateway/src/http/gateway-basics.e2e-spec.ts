import { EmbeddedServer, startEmbedded } from '@concert/testing';

/** What every client sees before any business rule: routing, parsing, limits, error shape, docs. */
describe('gateway basics', () => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbedded();
  });
  afterAll(() => server?.close());

  const send = async (method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string> } = {}) => {
    const res = await fetch(server.url + path, { method, body: init.body, headers: init.headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // kept as text
    }
    return { status: res.status, body, text, contentType: res.headers.get('content-type') ?? '' };
  };

  const expectErrorShape = (body: unknown, statusCode: number, error: string) => {
    expect(body).toEqual({ statusCode, message: expect.any(String), error });
    expect(Object.keys(body as object).sort()).toEqual(['error', 'message', 'statusCode']);
    expect((body as { message: string }).message.length).toBeGreaterThan(0);
  };

  describe('errors in the seed shape {statusCode, message, error}', () => {
    it.each([
      ['GET', '/no-such-route'],
      ['POST', '/no/such/route'],
      ['DELETE', '/queue/token'],
      ['GET', '/concerts'],
    ])('unknown route %s %s → 404', async (method, path) => {
      const res = await send(
        method,
        path,
        method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {},
      );
      expect(res.status).toBe(404);
      expect(res.contentType).toMatch(/^application\/json/);
      expectErrorShape(res.body, 404, 'Not Found');
    });

    it.each(['{"userId": ', '{userId: 1}', '[1,', 'nul'])('malformed JSON %p → 400', async (body) => {
      const res = await send('POST', '/queue/token', { body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'Bad Request');
      expect((res.body as { message: string }).message).toMatch(/JSON/i);
    });

    it('malformed JSON on a route that needs a token is still a 400 or 401 in the same shape', async () => {
      const res = await send('POST', '/reservations', { body: '{"concertId":', headers: { 'content-type': 'application/json' } });
      expect([400, 401]).toContain(res.status);
      expectErrorShape(res.body, res.status, res.status === 400 ? 'Bad Request' : 'Unauthorized');
    });

    it('a body over 1 MiB → 413', async () => {
      const big = JSON.stringify({ userId: '0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c', pad: 'x'.repeat(1024 * 1024 + 10) });
      const res = await send('POST', '/queue/token', { body: big, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expectErrorShape(res.body, 413, 'Payload Too Large');
    });

    it('a body just under 1 MiB is parsed (and then judged on its content)', async () => {
      const body = JSON.stringify({ userId: 'not-a-uuid', pad: 'x'.repeat(1024 * 1024 - 100) });
      const res = await send('POST', '/queue/token', { body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Invalid user ID format', error: 'Bad Request' });
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('content-type %s → 415', async (type) => {
      const res = await send('POST', '/queue/token', {
        body: type === 'application/x-www-form-urlencoded' ? 'userId=x' : '{"userId":"x"}',
        headers: { 'content-type': type },
      });
      expect(res.status).toBe(415);
      expectErrorShape(res.body, 415, 'Unsupported Media Type');
    });

    it('a JSON body that tries prototype pollution → 400', async () => {
      const res = await send('POST', '/queue/token', {
        body: '{"userId":"0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c","__proto__":{"admin":true}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'Bad Request');
    });

    it('a body without a content-type → 415', async () => {
      const res = await send('POST', '/queue/token', { body: Buffer.from('{"userId":"x"}') });
      expect(res.status).toBe(415);
      expectErrorShape(res.body, 415, 'Unsupported Media Type');
    });

    it('an empty body declared as JSON → 400', async () => {
      const res = await send('POST', '/queue/token', { body: '', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'Bad Request');
    });

    it('a JSON body with a charset parameter is accepted', async () => {
      const res = await send('POST', '/queue/token', {
        body: '{"userId":"bad"}',
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(res.body).toEqual({ statusCode: 400, message: 'Invalid user ID format', error: 'Bad Request' });
    });

    it('a missing token → 401 in the seed shape', async () => {
      const res = await send('GET', '/queue/status');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' });
    });
  });

  describe('API docs', () => {
    it('/openapi.json is an OpenAPI 3 document covering the eight seed endpoints', async () => {
      const res = await send('GET', '/openapi.json');
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/json/);
      const doc = res.body as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(doc.info.title).toBeTruthy();
      const seed: [string, string][] = [
        ['post', '/queue/token'],
        ['get', '/queue/status'],
        ['get', '/concerts/{concertId}/available-dates'],
        ['get', '/concerts/{concertId}/available-seats'],
        ['post', '/reservations'],
        ['get', '/users/{userId}/balance'],
        ['post', '/users/{userId}/charge'],
        ['post', '/payments'],
      ];
      for (const [method, path] of seed) {
        expect({ path, method, operation: doc.paths[path]?.[method] }).toEqual({ path, method, operation: expect.any(Object) });
        const operation = doc.paths[path][method] as { responses: Record<string, unknown> };
        expect(Object.keys(operation.responses).some((code) => code.startsWith('2'))).toBe(true);
      }
    });

    it('every $ref in /openapi.json resolves', async () => {
      const { body } = await send('GET', '/openapi.json');
      const doc = body as { components: { schemas: Record<string, unknown> } };
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const name = /#\/components\/schemas\/([^"]+)/.exec(ref)?.[1];
        expect({ ref, found: name !== undefined && name in doc.components.schemas }).toEqual({ ref, found: true });
      }
    });

    it('every path the document names is served (no 404 from the router)', async () => {
      const { body } = await send('GET', '/openapi.json');
      const doc = body as { paths: Record<string, Record<string, unknown>> };
      const sample: Record<string, string> = {
        concertId: '1',
        userId: '0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c',
        reservationId: '0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c',
      };
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item).filter((m) => ['get', 'post', 'delete', 'put', 'patch'].includes(m))) {
          const url = path.replace(/\{(\w+)\}/g, (_, p: string) => sample[p] ?? '1');
          const res = await send(
            method.toUpperCase(),
            url,
            method === 'get' || method === 'delete' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } },
          );
          expect({
            route: `${method} ${path}`,
            routed: !(res.status === 404 && /^Cannot /.test((res.body as { message?: string }).message ?? '')),
          }).toEqual({
            route: `${method} ${path}`,
            routed: true,
          });
        }
      }
    });

    it('/docs serves Swagger UI', async () => {
      const res = await send('GET', '/docs');
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/text\/html/);
      expect(res.text).toMatch(/swagger/i);
    });
  });
});
