import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { load } from './load';

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
