import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { holdRequest, load } from './load';

describe('bench load: a run of a fixed number of requests', () => {
  let server: Server;
  let url: string;
  let first = 0;
  let last = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      const now = performance.now();
      if (!first) first = now;
      res.end('ok', () => (last = performance.now()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is timed from its first request to its last response, not to the load tool’s next one-second tick', async () => {
    const result = await load({ url, connections: 10, amount: 300, requests: [{ method: 'GET', path: '/' }] });
    const served = (last - first) / 1000;
    expect(result.total).toBe(300);
    expect(result.statuses).toEqual({ 200: 300 });
    // The server saw the whole run inside `served` seconds; the run cannot have lasted much longer.
    expect(served).toBeLessThan(0.5);
    expect(result.durationS).toBeLessThan(served + 0.1);
    expect(result.rps).toBeCloseTo(300 / result.durationS);
  });
});

describe('bench load: hold requests', () => {
  it('sends the i-th hold with its own token and body, in the order they are sent, and passes replies on', async () => {
    const seen: { auth?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        res.statusCode = req.method === 'POST' && req.url === '/reservations' ? 201 : 404;
        res.end(JSON.stringify({ reservationId: `r${seen.length}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const replies: string[] = [];
      const request = holdRequest(
        (i) => ({ token: `t${i}`, body: { seatNumber: i + 1 } }),
        (status, body) => replies.push(`${status} ${JSON.parse(body).reservationId}`),
      );
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await load({ url, connections: 1, amount: 5, requests: [request] });
      expect(result.statuses).toEqual({ 201: 5 });
      expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => ({ auth: `Bearer t${i}`, body: JSON.stringify({ seatNumber: i + 1 }) })));
      expect(replies).toEqual(['201 r1', '201 r2', '201 r3', '201 r4', '201 r5']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
