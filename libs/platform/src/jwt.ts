import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp?: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const B64URL = /^[A-Za-z0-9_-]+$/;
const MIN_KEY_BYTES = 32;
/** Verified tokens remembered (every waiting buyer polls with the same token). */
const VERIFIED_CACHE_SIZE = 250_000;
/** How long a full cache keeps what it holds before it starts over. */
const VERIFIED_CACHE_REFRESH_MS = 30_000;

/** The verified-token cache's settings; they apply where this codec is the first with its key (the cache is shared). */
export interface JwtCodecOptions {
  /** Verified tokens remembered (default 250,000). */
  cacheSize?: number;
  /** A full cache remembers nothing new for this long, then starts over (default 30 s). */
  refreshAfterMs?: number;
  /** A monotonic clock in ms (default `performance.now`: a wall clock set back would keep a full cache shut). */
  now?: () => number;
}

/**
 * Verified tokens, bounded. A full cache keeps what it holds and remembers nothing new until it has been
 * full for `refreshAfterMs`, then starts over (tokens that ended leave it then). Emptying it whenever it
 * filled up, as before, found none of a line longer than the bound polled in turn: each token was dropped
 * just before its next poll (a status row over 103,773 tokens cost twice the CPU per poll of one over
 * 77,048). Kept this way, such a line finds the bound's share of its tokens.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, TokenClaims>();
  private fullSince?: number;

  constructor(
    private readonly capacity: number,
    private readonly refreshAfterMs: number,
    private readonly now: () => number,
  ) {}

  get(token: string): TokenClaims | undefined {
    return this.entries.get(token);
  }

  remember(token: string, claims: TokenClaims): void {
    if (this.entries.size >= this.capacity) {
      const now = this.now();
      this.fullSince ??= now;
      if (now - this.fullSince < this.refreshAfterMs) return;
      this.entries.clear();
      this.fullSince = undefined;
    }
    this.entries.set(token, claims);
  }
}

/**
 * Verified tokens by key fingerprint, shared by every codec of this process with that key: the queue
 * signs a token and the gateway verifies it, and a token signed here needs no HMAC on its first use.
 */
const verifiedByKey = new Map<string, VerifiedTokens>();

/** HS256 only: the header is fixed on signing and checked on verifying, so `alg: none` or RS/ES tricks fail. */
export class JwtCodec {
  /** A KeyObject, imported once: HMAC with it costs half of HMAC with the raw bytes. */
  private readonly key: KeyObject;
  private readonly verified: VerifiedTokens;

  constructor(secret: string, options: JwtCodecOptions = {}) {
    const key = Buffer.from(secret, 'utf8');
    // An empty or short HMAC key makes every token forgeable: refuse it rather than sign with it.
    if (key.length < MIN_KEY_BYTES) throw new Error(`JWT secret must be at least ${MIN_KEY_BYTES} bytes`);
    this.key = createSecretKey(key);
    const fingerprint = createHmac('sha256', this.key).update('verified-token-cache').digest('base64url');
    this.verified =
      verifiedByKey.get(fingerprint) ??
      new VerifiedTokens(
        options.cacheSize ?? VERIFIED_CACHE_SIZE,
        options.refreshAfterMs ?? VERIFIED_CACHE_REFRESH_MS,
        options.now ?? (() => performance.now()),
      );
    verifiedByKey.set(fingerprint, this.verified);
  }

  sign(claims: TokenClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const token = `${HEADER}.${payload}.${this.mac(`${HEADER}.${payload}`)}`;
    this.verified.remember(token, { sub: claims.sub, jti: claims.jti, iat: claims.iat, exp: claims.exp });
    return token;
  }

  /** The claims of a well-formed, correctly signed, unexpired HS256 token; otherwise null. */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): TokenClaims | null {
    const known = this.verified.get(token);
    if (known) return known.exp !== undefined && known.exp <= nowSeconds ? null : known;
    const claims = this.verifyUncached(token, nowSeconds);
    if (claims) this.verified.remember(token, claims);
    return claims;
  }

  private verifyUncached(token: string, nowSeconds: number): TokenClaims | null {
    if (token.length > 4096) return null;
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return null;
    const [header, payload, signature] = parts;
    // Compared as text, not decoded bytes: a non-canonical spelling of the right MAC is a different token.
    const expected = Buffer.from(this.mac(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const head = parseJson(header);
    if (!head || head.alg !== 'HS256' || (head.typ !== undefined && head.typ !== 'JWT')) return null;
    const claims = parseJson(payload);
    if (!claims || typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.iat !== 'number') {
      return null;
    }
    if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp <= nowSeconds)) return null;
    return { sub: claims.sub, jti: claims.jti, iat: claims.iat, exp: claims.exp };
  }

  private mac(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }
}

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
