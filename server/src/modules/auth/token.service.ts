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

/** Issues and checks HS256 JSON Web Tokens. */
export class TokenService {
  // Imported once as KeyObjects: jose would otherwise import a raw key on every sign and verify.
  private readonly key: KeyObject;
  private readonly previousKey: KeyObject | undefined;

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
    return (await this.verifyWith(token, this.key)) ?? (this.previousKey ? this.verifyWith(token, this.previousKey) : null);
  }

  private async verifyWith(token: string, key: KeyObject): Promise<TokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string') return null;
      return { userId: payload.sub, role: payload.role, version: typeof payload.ver === 'number' ? payload.ver : -1 };
    } catch {
      return null;
    }
  }
}
