import { randomUUID } from 'node:crypto';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';

/** Input the router or the body parser refuses before any controller: still a clear 4xx in the seed's shape. */
describe('gateway hardening', () => {
  let server: EmbeddedServer;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    server = await startEmbedded();
    userId = randomUUID();
    ({ token } = await new ApiClient(server.url).tokenFor(userId));
  });
  afterAll(() => server?.close());

  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(server.url + path, {
      method,
      body,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // kept as text
    }
    return { status: res.status, body: parsed as { statusCode: number; message: string; error: string } };
  };
  const seedShape = (body: unknown, statusCode: number, error: string) => {
    expect(body).toEqual({ statusCode, message: expect.any(String), error });
  };

  it.each(['/reservations/%ZZ', '/reservations/%C0%AF', '/users/%E0%A4%A/balance', '/concerts/%/available-dates'])(
    'a path with broken percent-encoding %s → 400 in the seed shape (was Fastify’s own body with a `code`)',
    async (path) => {
      const res = await send('GET', path);
      expect(res.status).toBe(400);
      seedShape(res.body, 400, 'Bad Request');
      expect(res.body.message).toMatch(/URL/);
    },
  );

  it('an over-long path parameter → 400 in the seed shape (was a 414 with a `code`)', async () => {
    const res = await send('GET', `/reservations/${'a'.repeat(500)}`);
    expect(res.status).toBe(400);
    seedShape(res.body, 400, 'Bad Request');
  });

  it.each([
    ['__proto__ at the top', '{"amount":100,"__proto__":{"admin":true}}'],
    ['__proto__ nested', '{"amount":100,"x":[{"__proto__":{"admin":true}}]}'],
    ['__proto__ spelled with an escape', '{"amount":100,"\\u005f_proto__":{"admin":true}}'],
    ['constructor.prototype', '{"amount":100,"constructor":{"prototype":{"admin":true}}}'],
  ])('prototype pollution (%s) → 400 that says why', async (_name, body) => {
    const res = await send('POST', `/users/${userId}/charge`, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      message: 'Request body must not contain __proto__ or constructor.prototype keys',
      error: 'Bad Request',
    });
  });

  it('deeply nested JSON → 400 that says why', async () => {
    const res = await send('POST', '/reservations', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000));
    expect(res.status).toBe(400);
    seedShape(res.body, 400, 'Bad Request');
    expect(res.body.message).toMatch(/nested/);
  });

  it('a compressed body → 415 (the API does not inflate bodies)', async () => {
    const res = await send('POST', '/payments', '{"reservationId":"x"}', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(415);
    seedShape(res.body, 415, 'Unsupported Media Type');
    expect(res.body.message).toMatch(/Content-Encoding/);
  });

  it('malformed JSON says so plainly (was Fastify’s parser message)', async () => {
    const res = await send('POST', '/payments', '{"reservationId":');
    expect(res.body).toEqual({ statusCode: 400, message: 'Malformed JSON in request body', error: 'Bad Request' });
  });
});
