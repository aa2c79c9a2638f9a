import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** What a token says about its holder. */
export interface TokenClaims {
  userId: string;
  role: string;
  /** The user's token version when it was issued; a newer version revokes it. */
  version: number;
}

const ISSUER = 'gpuaas';

/** Verified tokens remembered, at most: a few MB, far more than a pool's active sessions. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Issues and checks HS256 JSON Web Tokens. */
export class TokenService {
  // Imported once as KeyObjects: jose would otherwise import a raw key on every sign and verify.
  private readonly key: KeyObject;
  private readonly previousKey: KeyObject | undefined;
  /**
   * Tokens whose signature already checked out, with their claims and expiry. A client sends
   * the same token on every request; checking its HMAC again each time cost a tenth of a small
   * request's CPU. Only verified tokens enter, the oldest leave first, and a remembered token
   * still expires on time. Revocation does not depend on this: the token's version is compared
   * with the user's on every request (`UserService.authenticate`).
   */
  private readonly verified = new Map<string, { claims: TokenClaims; expiresAtMs: number }>();

  /**
   * @param previousSecret a key being rotated out: tokens it signed are still accepted until
   *   they expire; new tokens are always signed with `secret`.
   */
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    previousSecret?: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
    this.previousKey = previousSecret === undefined ? undefined : createSecretKey(Buffer.from(previousSecret, 'utf8'));
  }

  issue(claims: TokenClaims): Promise<string> {
    return new SignJWT({ role: claims.role, ver: claims.version })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /**
   * Verifies a token's signature, algorithm (HS256 only, so `alg: none` is refused), issuer and
   * expiry. Returns null for any token that fails, whatever the reason.
   */
  async verify(token: string): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.expiresAtMs > Date.now()) return known.claims;
      this.verified.delete(token);
    }
    const checked =
      (await this.verifyWith(token, this.key)) ?? (this.previousKey ? await this.verifyWith(token, this.previousKey) : null);
    if (checked === null) return null;
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, checked);
    return checked.claims;
  }

  private async verifyWith(token: string, key: KeyObject): Promise<{ claims: TokenClaims; expiresAtMs: number } | null> {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string') return null;
      const claims = { userId: payload.sub, role: payload.role, version: typeof payload.ver === 'number' ? payload.ver : -1 };
      return { claims, expiresAtMs: payload.exp! * 1000 };
    } catch {
      return null;
    }
  }
}
