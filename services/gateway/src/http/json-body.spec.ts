import { BodyError, MAX_JSON_DEPTH, parseJsonBody } from './json-body';

const fails = (text: string, encoding?: string): BodyError => {
  try {
    parseJsonBody(text, encoding);
  } catch (err) {
    expect(err).toBeInstanceOf(BodyError);
    return err as BodyError;
  }
  throw new Error(`expected ${text.slice(0, 40)} to be refused`);
};

describe('parseJsonBody', () => {
  it('parses ordinary bodies', () => {
    expect(parseJsonBody('{"userId":"u","n":[1,{"a":2}]}')).toEqual({ userId: 'u', n: [1, { a: 2 }] });
    expect(parseJsonBody('null')).toBeNull();
    expect(parseJsonBody('{"constructor":"x","prototype":1}', 'identity')).toEqual({ constructor: 'x', prototype: 1 });
  });

  it.each([
    ['{"__proto__":{"admin":true}}'],
    ['{"a":{"b":[{"__proto__":{}}]}}'],
    ['{"\\u005f_proto__":{}}'],
    ['{"constructor":{"prototype":{"admin":true}}}'],
    ['[{"x":{"constructor":{"prototype":null}}}]'],
  ])('refuses prototype-pollution keys: %s', (text) => {
    const err = fails(text);
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(/__proto__|constructor/);
  });

  it('refuses nesting deeper than the limit, without overflowing the stack', () => {
    expect(parseJsonBody('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeDefined();
    expect(fails('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)).message).toMatch(/nested/);
    expect(fails('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000)).statusCode).toBe(400);
    expect(fails('['.repeat(500_000) + ']'.repeat(500_000)).statusCode).toBe(400);
  });

  it.each([['{"a":'], ['{a:1}'], ["{'a':1}"], ['[1,]'], ['nul'], ['\ufeff{}']])('malformed JSON %p → 400', (text) => {
    expect(fails(text)).toMatchObject({ statusCode: 400, message: 'Malformed JSON in request body' });
  });

  it('an empty body → 400', () => {
    expect(fails('')).toMatchObject({ statusCode: 400, message: 'Request body must not be empty' });
  });

  it.each(['gzip', 'deflate', 'br', 'gzip, identity'])('Content-Encoding %s → 415', (encoding) => {
    expect(fails('{}', encoding).statusCode).toBe(415);
  });
});
