import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenService, type TokenClaims } from './token.service.js';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const CLAIMS: TokenClaims = { userId: '0b6f3c1e-5d2a-4f7b-9c8e-1a2b3c4d5e6f', role: 'ADMIN', version: 3 };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const key = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

describe('TokenService', () => {
  const tokens = new TokenService(SECRET, 3600);

  it('should verify the claims of a token it issued', async () => {
    const token = await tokens.issue(CLAIMS);
    expect(await tokens.verify(token)).toEqual(CLAIMS);
  });

  it('should issue HS256 tokens from gpuaas that expire after the configured time', async () => {
    const token = await new TokenService(SECRET, 900).issue(CLAIMS);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ sub: CLAIMS.userId, role: 'ADMIN', ver: 3, iss: 'gpuaas' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(2);
  });

  it('should verify a token issued by another instance with the same secret', async () => {
    const token = await new TokenService(SECRET, 60).issue(CLAIMS);
    expect(await tokens.verify(token)).toEqual(CLAIMS);
  });

  it('should refuse an expired token', async () => {
    const expired = await new SignJWT({ role: 'USER', ver: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(CLAIMS.userId)
      .setIssuer('gpuaas')
      .setIssuedAt(now() - 120)
      .setExpirationTime(now() - 60)
      .sign(key(SECRET));
    expect(await tokens.verify(expired)).toBeNull();
  });

  it('should refuse a token once its time to live has passed', async () => {
    const shortLived = new TokenService(SECRET, 1);
    const token = await shortLived.issue(CLAIMS);
    expect(await shortLived.verify(token)).toEqual(CLAIMS);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await shortLived.verify(token)).toBeNull();
  });

  it('should still answer right once more tokens were verified than it remembers', async () => {
    const service = new TokenService(SECRET, 3600);
    const claims = Array.from({ length: 10_050 }, (_, i) => ({ ...CLAIMS, version: i }));
    const issued = await Promise.all(claims.map((c) => service.issue(c)));
    for (const token of issued) await service.verify(token);
    // The first ones were forgotten and are checked again; the last ones are remembered.
    expect(await service.verify(issued[0]!)).toEqual(claims[0]);
    expect(await service.verify(issued.at(-1)!)).toEqual(claims.at(-1));
    const [header, , signature] = issued[1]!.split('.');
    expect(await service.verify(`${header}.${b64({ sub: CLAIMS.userId, role: 'ADMIN', ver: 1, iss: 'gpuaas', exp: now() + 60 })}.${signature}`)).toBeNull();
  });

  it('should refuse a token signed with another key', async () => {
    const token = await new TokenService('another-secret-of-at-least-32-chars', 3600).issue(CLAIMS);
    expect(await tokens.verify(token)).toBeNull();
  });

  it('should refuse a token whose payload was changed', async () => {
    const [header, , signature] = (await tokens.issue({ ...CLAIMS, role: 'USER' })).split('.');
    const forged = `${header}.${b64({ sub: CLAIMS.userId, role: 'ADMIN', ver: 3, iss: 'gpuaas', exp: now() + 60 })}.${signature}`;
    expect(await tokens.verify(forged)).toBeNull();
  });

  it('should refuse an unsigned token (alg none)', async () => {
    const payload = { sub: CLAIMS.userId, role: 'ADMIN', ver: 3, iss: 'gpuaas', iat: now(), exp: now() + 3600 };
    expect(await tokens.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`)).toBeNull();
    expect(await tokens.verify(`${b64({ alg: 'none' })}.${b64(payload)}`)).toBeNull();
  });

  it('should refuse a token signed with the right key but another algorithm', async () => {
    const token = await new SignJWT({ role: 'ADMIN', ver: 3 })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(CLAIMS.userId)
      .setIssuer('gpuaas')
      .setExpirationTime('1h')
      .sign(key(SECRET));
    expect(await tokens.verify(token)).toBeNull();
  });

  it('should refuse a token from another issuer', async () => {
    const token = await new SignJWT({ role: 'ADMIN', ver: 3 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(CLAIMS.userId)
      .setIssuer('someone-else')
      .setExpirationTime('1h')
      .sign(key(SECRET));
    expect(await tokens.verify(token)).toBeNull();
  });

  it('should refuse a token without a subject or a role', async () => {
    const noSubject = await new SignJWT({ role: 'ADMIN', ver: 3 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('gpuaas')
      .setExpirationTime('1h')
      .sign(key(SECRET));
    const noRole = await new SignJWT({ ver: 3 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(CLAIMS.userId)
      .setIssuer('gpuaas')
      .setExpirationTime('1h')
      .sign(key(SECRET));
    expect(await tokens.verify(noSubject)).toBeNull();
    expect(await tokens.verify(noRole)).toBeNull();
  });

  it('should give a token without a version a version no user has', async () => {
    const token = await new SignJWT({ role: 'USER' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(CLAIMS.userId)
      .setIssuer('gpuaas')
      .setExpirationTime('1h')
      .sign(key(SECRET));
    expect(await tokens.verify(token)).toEqual({ userId: CLAIMS.userId, role: 'USER', version: -1 });
  });

  it.each(['', 'garbage', 'a.b.c', 'Bearer x.y.z', '...', `${b64({ alg: 'HS256' })}.not-json.sig`])(
    'should refuse the garbage %j',
    async (token) => {
      expect(await tokens.verify(token)).toBeNull();
    },
  );
});
