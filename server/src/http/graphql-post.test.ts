import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BodyError, clientAddressOf, readJsonBody } from './graphql-post.js';

/** A request with `headers` whose body is `chunks`. */
function request(headers: Record<string, string>, ...chunks: string[]): IncomingMessage {
  const stream = new PassThrough();
  const req = Object.assign(stream, { headers, socket: { remoteAddress: '10.0.0.9' } }) as unknown as IncomingMessage;
  queueMicrotask(() => {
    for (const c of chunks) stream.write(c);
    stream.end();
  });
  return req;
}

async function failure(promise: Promise<unknown>): Promise<BodyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BodyError);
    return error as BodyError;
  }
  throw new Error('expected a BodyError');
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('reading a POST /graphql body', () => {
  it('should parse a JSON object sent in chunks, with or without a UTF-8 charset', async () => {
    expect(await readJsonBody(request(JSON_TYPE, '{"query":', '"{ gpuTypes }"}'))).toEqual({ query: '{ gpuTypes }' });
    expect(await readJsonBody(request({ 'content-type': 'Application/JSON; charset="UTF-8"' }, '[1]'))).toEqual([1]);
  });

  it('should leave a body of another type unread, for Apollo to refuse, and read an empty one as {}', async () => {
    expect(await readJsonBody(request({ 'content-type': 'text/plain' }, '{"query":"{ gpuTypes }"}'))).toBeUndefined();
    expect(await readJsonBody(request({}, 'x'))).toBeUndefined();
    expect(await readJsonBody(request(JSON_TYPE))).toEqual({});
  });

  it('should refuse what is not a JSON object or array with 400', async () => {
    for (const body of ['"just a string"', '42', '{"query":', 'nonsense']) {
      const error = await failure(readJsonBody(request(JSON_TYPE, body)));
      expect([error.status, error.message]).toEqual([400, 'The request body is not valid JSON']);
    }
  });

  it('should refuse a body over the limit with 413, by its declared length or by what arrives', async () => {
    const declared = await failure(readJsonBody(request({ ...JSON_TYPE, 'content-length': '2000' }, '{}'), 1000));
    expect(declared.status).toBe(413);
    const streamed = await failure(readJsonBody(request(JSON_TYPE, `{"q":"${'x'.repeat(600)}`, `${'y'.repeat(600)}"}`), 1000));
    expect([streamed.status, streamed.message]).toEqual([413, 'The request body is too large']);
  });

  it('should refuse another charset or a compressed body with 415', async () => {
    expect((await failure(readJsonBody(request({ 'content-type': 'application/json; charset=utf-16' }, '{}')))).status).toBe(415);
    expect((await failure(readJsonBody(request({ ...JSON_TYPE, 'content-encoding': 'gzip' }, '{}')))).status).toBe(415);
  });
});

describe('the client address', () => {
  const req = (forwarded?: string) =>
    ({ headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: '10.0.0.9' }, connection: { remoteAddress: '10.0.0.9' } }) as unknown as IncomingMessage;

  it("should be the socket's peer unless proxies are trusted, as Express's req.ip", () => {
    expect(clientAddressOf(false)(req('1.2.3.4'))).toBe('10.0.0.9');
    expect(clientAddressOf(true)(req('1.2.3.4, 5.6.7.8'))).toBe('1.2.3.4');
    expect(clientAddressOf(1)(req('1.2.3.4, 5.6.7.8'))).toBe('5.6.7.8');
    expect(clientAddressOf('10.0.0.0/8')(req('1.2.3.4'))).toBe('1.2.3.4');
    expect(clientAddressOf('192.168.0.1')(req('1.2.3.4'))).toBe('10.0.0.9');
  });
});
