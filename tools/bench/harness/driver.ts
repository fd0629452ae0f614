import { connect, Socket } from 'node:net';

const TIMEOUT_MS = 60_000;
const HEAD_END = Buffer.from('\r\n\r\n');

export interface Reply<T = any> {
  status: number;
  body: T;
  ms: number;
}

interface Call {
  head: string;
  payload?: string;
  raw: boolean;
  started: bigint;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/**
 * A keep-alive HTTP/1.1 client for per-user flows (each virtual user has its own token and body),
 * with at most `connections` sockets to one loopback origin, one request at a time on each.
 *
 * Written on `node:net` because the load generator shares the machine's two cores with the server
 * under test: every microsecond it spends per request is one the server does not get. It reads what
 * our server and Node's answer (a status line, headers, a body sized by `content-length` or sent
 * `chunked`) and nothing more: no redirects, no compression, no pipelining, no TLS.
 */
export class HttpDriver {
  private readonly host: string;
  private readonly port: number;
  private readonly idle: Connection[] = [];
  private readonly waiting: Call[] = [];
  private open = 0;
  private closed = false;

  constructor(
    baseUrl: string,
    private readonly connections: number,
  ) {
    const url = new URL(baseUrl);
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) throw new Error(`not a loopback target: ${baseUrl}`);
    if (url.protocol !== 'http:') throw new Error(`not an http:// target: ${baseUrl}`);
    if (!(connections >= 1)) throw new Error(`connections must be at least 1, got ${connections}`);
    this.host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    this.port = Number(url.port || 80);
  }

  call<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: boolean } = {},
  ): Promise<Reply<T>> {
    if (this.closed) return Promise.reject(new Error('driver closed'));
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    if (options.headers) for (const [k, v] of Object.entries(options.headers)) head += `${k}: ${v}\r\n`;
    if (options.token) head += `authorization: Bearer ${options.token}\r\n`;
    if (payload !== undefined) head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n`;
    head += '\r\n';
    return new Promise<Reply<T>>((resolve, reject) => {
      const call: Call = { head, payload, raw: options.raw === true, started: process.hrtime.bigint(), resolve, reject };
      const conn = this.idle.pop();
      if (conn) conn.send(call);
      else if (this.open < this.connections) {
        this.open++;
        new Connection(this).send(call);
      } else this.waiting.push(call);
    });
  }

  /** Closes the sockets (the requests in flight, none at the end of a row, are failed). */
  close(): void {
    this.closed = true;
    for (const call of this.waiting.splice(0)) call.reject(new Error('driver closed'));
    for (const conn of this.idle.splice(0)) conn.destroy();
  }

  /** @internal A connection is free again: it takes the next waiting call or waits for one. */
  release(conn: Connection): void {
    const next = this.waiting.shift();
    if (next) conn.send(next);
    else if (this.closed) conn.destroy();
    else this.idle.push(conn);
  }

  /** @internal A connection is gone: a waiting call gets a new one. */
  lost(conn: Connection): void {
    this.open--;
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    const next = this.waiting.shift();
    if (next) {
      this.open++;
      new Connection(this).send(next);
    }
  }

  /** @internal */
  socket(): Socket {
    return connect(this.port, this.host);
  }
}

class Connection {
  private readonly socket: Socket;
  private call?: Call;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Parsed from the head once it is in: where the body starts, its length (-1: chunked), and the status. */
  private bodyAt = -1;
  private length = 0;
  private status = 0;
  private keepAlive = true;
  private gone = false;

  constructor(private readonly driver: HttpDriver) {
    this.socket = driver.socket();
    this.socket.setNoDelay(true);
    this.socket.setTimeout(TIMEOUT_MS, () => this.fail(new Error(`no reply in ${TIMEOUT_MS} ms`)));
    this.socket.on('data', (chunk: Buffer) => this.data(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed before the reply')));
  }

  send(call: Call): void {
    this.call = call;
    call.started = process.hrtime.bigint();
    this.socket.write(call.payload === undefined ? call.head : call.head + call.payload);
  }

  destroy(): void {
    this.gone = true;
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    if (!this.call) return this.fail(new Error('data with no request in flight'));
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.bodyAt === -1 && !this.head(this.joined())) return;
    let body: string;
    if (this.length >= 0) {
      if (this.size < this.bodyAt + this.length) return;
      body = this.joined().toString('utf8', this.bodyAt, this.bodyAt + this.length);
    } else {
      // A chunked body ends with an empty line: only then is it worth joining and decoding.
      if (!this.endsWithEmptyLine()) return;
      let decoded: string | undefined;
      try {
        decoded = dechunk(this.joined(), this.bodyAt);
      } catch (err) {
        return this.fail(err as Error);
      }
      if (decoded === undefined) return;
      body = decoded;
    }
    const call = this.call;
    const status = this.status;
    this.call = undefined;
    this.chunks = [];
    this.size = 0;
    this.bodyAt = -1;
    const ms = Number(process.hrtime.bigint() - call.started) / 1e6;
    let parsed: unknown = body;
    // `raw`: the text as it came (a flow that needs one field of a long reply reads it without parsing it all).
    if (!call.raw && body) {
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON: keep the text
      }
    } else if (!body && !call.raw) parsed = undefined;
    if (this.keepAlive) this.driver.release(this);
    else {
      this.gone = true;
      this.socket.destroy();
      this.driver.lost(this);
    }
    call.resolve({ status, body: parsed, ms });
  }

  /** What has come in so far, as one buffer (joined once, then kept as the only chunk). */
  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0];
  }

  private endsWithEmptyLine(): boolean {
    const last = this.chunks[this.chunks.length - 1];
    if (last.length >= 4)
      return (
        last[last.length - 4] === 13 &&
        last[last.length - 3] === 10 &&
        last[last.length - 2] === 13 &&
        last[last.length - 1] === 10
      );
    return this.joined().subarray(-4).equals(HEAD_END);
  }

  /** Reads the status line and headers once they are all in; false while they are not. */
  private head(buf: Buffer): boolean {
    const end = buf.indexOf(HEAD_END);
    if (end === -1) return false;
    const text = buf.toString('latin1', 0, end);
    if (!text.startsWith('HTTP/1.')) {
      this.fail(new Error(`not an HTTP/1.x reply: ${JSON.stringify(text.slice(0, 40))}`));
      return false;
    }
    this.status = Number(text.slice(9, 12));
    this.bodyAt = end + 4;
    const lower = text.toLowerCase();
    const length = /\r\ncontent-length: *(\d+)/.exec(lower);
    const chunked = /\r\ntransfer-encoding: *chunked/.test(lower);
    this.length = chunked ? -1 : length ? Number(length[1]) : 0;
    this.keepAlive = !/\r\nconnection: *close/.test(lower);
    return true;
  }

  private fail(err: Error): void {
    const call = this.call;
    this.call = undefined;
    if (!this.gone) {
      this.gone = true;
      this.socket.destroy();
      this.driver.lost(this);
    }
    call?.reject(err);
  }
}

/** The body of a chunked reply starting at `at`, or undefined while its last chunk is not in. */
export function dechunk(buf: Buffer, at: number): string | undefined {
  const parts: Buffer[] = [];
  let i = at;
  for (;;) {
    const eol = buf.indexOf('\r\n', i, 'latin1');
    if (eol === -1) return undefined;
    const size = parseInt(buf.toString('latin1', i, eol), 16);
    if (!Number.isInteger(size) || size < 0) throw new Error(`bad chunk size at ${i}`);
    if (size === 0) {
      // The last chunk, then optional trailers, then an empty line.
      return buf.indexOf(HEAD_END, eol) === -1 ? undefined : Buffer.concat(parts).toString('utf8');
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight; stops starting new ones after
 * `deadlineMs` (wall clock). Returns how many were started.
 */
export async function forEachBounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  deadlineMs = Number.POSITIVE_INFINITY,
): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadlineMs) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}
