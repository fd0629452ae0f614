import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { dechunk, forEachBounded, HttpDriver } from './driver';

describe('bench HttpDriver: a keep-alive HTTP/1.1 client on node:net', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<unknown>();
  let inFlight = 0;
  let maxInFlight = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const u = new URL(req.url!, 'http://x');
        if (u.pathname === '/echo') {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              method: req.method,
              auth: req.headers.authorization ?? null,
              type: req.headers['content-type'] ?? null,
              body: body ? JSON.parse(body) : null,
            }),
          );
        } else if (u.pathname === '/big') {
          // About 600 KB in many writes, sent chunked (no content-length): several reads on the client.
          const n = Number(u.searchParams.get('n'));
          res.writeHead(201, { 'content-type': 'application/json' });
          res.write('[');
          for (let i = 0; i < n; i++) res.write(`${i ? ',' : ''}{"seatNumber":${i},"name":"좌석 ${i}"}`);
          res.end(']');
        } else if (u.pathname === '/sized') {
          const text = JSON.stringify({ seats: Array.from({ length: 20_000 }, (_, i) => i), note: '한글' });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } else if (u.pathname === '/close') {
          res.writeHead(409, { connection: 'close', 'content-type': 'text/plain' });
          res.end('bye');
        } else if (u.pathname === '/slow') {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          setTimeout(() => {
            inFlight--;
            res.end(u.searchParams.get('i') ?? '');
          }, 5);
        } else if (u.pathname === '/empty') {
          res.writeHead(204);
          res.end();
        } else if (u.pathname === '/hangup') {
          req.socket.destroy();
        } else {
          res.writeHead(404);
          res.end('no');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the method, headers and JSON body, and parses the JSON reply', async () => {
    const driver = new HttpDriver(url, 2);
    const reply = await driver.call('POST', '/echo', { body: { a: '가', n: 1 }, token: 't0k' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ method: 'POST', auth: 'Bearer t0k', type: 'application/json', body: { a: '가', n: 1 } });
    expect(reply.ms).toBeGreaterThan(0);
    const get = await driver.call('GET', '/echo');
    expect(get.body).toEqual({ method: 'GET', auth: null, type: null, body: null });
    driver.close();
  });

  it('reads long replies that arrive in many reads, sized or chunked, with multibyte text', async () => {
    const driver = new HttpDriver(url, 1);
    const big = await driver.call<string>('GET', '/big?n=20000', { raw: true });
    expect(big.status).toBe(201);
    const seats = JSON.parse(big.body) as { seatNumber: number; name: string }[];
    expect(seats).toHaveLength(20_000);
    expect(seats[19_999]).toEqual({ seatNumber: 19_999, name: '좌석 19999' });
    const sized = await driver.call('GET', '/sized');
    expect(sized.body.seats).toHaveLength(20_000);
    expect(sized.body.note).toBe('한글');
    // The same connection still works after them.
    expect((await driver.call('GET', '/echo')).status).toBe(200);
    driver.close();
  });

  it('keeps at most `connections` requests in flight and reuses its sockets', async () => {
    sockets.clear();
    maxInFlight = 0;
    const driver = new HttpDriver(url, 4);
    const seen: string[] = [];
    await forEachBounded(40, 10, async (i) => {
      const reply = await driver.call<string>('GET', `/slow?i=${i}`, { raw: true });
      seen.push(reply.body);
    });
    expect(seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort());
    expect(maxInFlight).toBe(4);
    expect(sockets.size).toBe(4);
    driver.close();
  });

  it('opens a new socket after a reply that closes its connection, and reads an empty reply', async () => {
    const driver = new HttpDriver(url, 1);
    const closing = await driver.call('GET', '/close');
    expect(closing).toMatchObject({ status: 409, body: 'bye' });
    expect((await driver.call('GET', '/empty')).status).toBe(204);
    expect((await driver.call('GET', '/echo')).status).toBe(200);
    driver.close();
  });

  it('fails a call whose connection drops before the reply, and goes on with a new one', async () => {
    const driver = new HttpDriver(url, 1);
    await expect(driver.call('GET', '/hangup')).rejects.toThrow(/closed before the reply|ECONNRESET/);
    expect((await driver.call('GET', '/echo')).status).toBe(200);
    driver.close();
  });

  it('fails calls to a port nobody listens on, and refuses targets off loopback', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const driver = new HttpDriver(`http://127.0.0.1:${port}`, 1);
    await expect(driver.call('GET', '/')).rejects.toThrow(/ECONNREFUSED/);
    driver.close();
    expect(() => new HttpDriver('http://example.com', 1)).toThrow(/not a loopback target/);
  });

  it('dechunk waits for the last chunk and joins the chunks', () => {
    const whole = Buffer.from('HDR\r\n\r\n4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n');
    expect(dechunk(whole, 7)).toBe('Wikipedia ');
    expect(dechunk(whole.subarray(0, whole.length - 2), 7)).toBeUndefined();
    expect(dechunk(whole.subarray(0, 15), 7)).toBeUndefined();
    expect(() => dechunk(Buffer.from('zz\r\n'), 0)).toThrow(/bad chunk size/);
  });
});
