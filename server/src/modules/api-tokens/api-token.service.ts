import type { EntityManager } from '@mikro-orm/postgresql';
import type { SqlRunner } from '../../db/sql.js';
import { isUuid } from '../../pagination.js';
import { requireViewer, type Viewer } from '../auth/viewer.js';
import type { ViewerCache } from '../auth/viewer-cache.js';
import type { RevocationListener } from '../users/user.service.js';
import type { ApiTokenUsage } from './api-token-usage.js';
import { ApiToken } from './api-token.entity.js';
import { apiTokenErrors } from './api-token.errors.js';
import { credentialsOfApiToken, liveApiTokens } from './api-token.queries.js';
import { hashApiToken, isWellFormedApiToken, newApiToken } from './api-token.secret.js';
import { MAX_API_TOKENS_PER_USER, validateApiTokenRequest } from './api-token.validation.js';

/** A token as its owner sees it: never its value or hash. */
export interface ApiTokenRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

/** A token just created: its value, shown this once, and its record. */
export interface CreatedApiToken {
  token: string;
  apiToken: ApiTokenRecord;
}

const toRecord = (t: ApiToken): ApiTokenRecord => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
});

/**
 * Fails with FORBIDDEN when the request was authenticated by an API token: what a token may never
 * do (create tokens, change the password or a role) needs a password sign-in.
 */
export function requirePasswordSession(viewer: Viewer, what: string): void {
  if (viewer.apiTokenId !== undefined) throw apiTokenErrors.notWithApiToken(what);
}

/** Personal API tokens: creation (the value shown once), listing and revocation. */
export class ApiTokenService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: SqlRunner,
    private readonly revocations: RevocationListener,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get tokens() {
    return this.em.getRepository(ApiToken);
  }

  /**
   * Creates a token for the viewer. Only its SHA-256 is stored; the value is returned once. A
   * request authenticated by an API token cannot create another (FORBIDDEN).
   */
  async create(viewer: Viewer | null, name: string, expiresInDays: number | null): Promise<CreatedApiToken> {
    const v = requireViewer(viewer);
    requirePasswordSession(v, 'create API tokens');
    const now = this.now();
    const request = validateApiTokenRequest(name, expiresInDays, now);
    if ((await this.tokens.countActive(v.id, now)) >= MAX_API_TOKENS_PER_USER) throw apiTokenErrors.tooMany(MAX_API_TOKENS_PER_USER);
    const token = newApiToken();
    const entity = this.em.create(ApiToken, {
      user: v.id,
      name: request.name,
      tokenHash: hashApiToken(token),
      createdAt: now,
      expiresAt: request.expiresAt,
    });
    await this.em.persistAndFlush(entity);
    return { token, apiToken: toRecord(entity) };
  }

  /** The viewer's tokens that are not revoked (expired ones too), newest first. */
  async list(viewer: Viewer | null): Promise<ApiTokenRecord[]> {
    const v = requireViewer(viewer);
    return (await this.tokens.listLive(v.id)).map(toRecord);
  }

  /**
   * Revokes one of the viewer's tokens: refused over HTTP at once in every process (the
   * announcement drops it from each process's cache) and the sockets it opened are closed.
   * Another user's token, or one already revoked, is NOT_FOUND.
   */
  async revoke(viewer: Viewer | null, id: string): Promise<boolean> {
    const v = requireViewer(viewer);
    if (!isUuid(id) || !(await this.tokens.revoke(id, v.id))) throw apiTokenErrors.notFound();
    this.revocations.revoked(v.id);
    return true;
  }

  /**
   * Revokes every token of `userId`, inside a revocation its caller announces (a logout
   * everywhere, a password change).
   */
  revokeAll(userId: string): Promise<number> {
    return this.tokens.revokeAll(userId);
  }

  /** Which of `ids` are still live, for closing the sockets of revoked or expired tokens. */
  live(ids: readonly string[]): Promise<Set<string>> {
    return liveApiTokens(this.sql, ids);
  }
}

/**
 * The token check for an API token (`gpa_…`), beside the login token's in
 * `UserService.authenticate`: the token's hash is looked up in the process's cache, else in the
 * database (live tokens only), and its use is recorded at most once a minute.
 */
export async function authenticateApiToken(
  token: string,
  sql: SqlRunner,
  viewers: ViewerCache,
  usage: ApiTokenUsage | undefined,
): Promise<Viewer | null> {
  if (!isWellFormedApiToken(token)) return null;
  const hash = hashApiToken(token);
  let viewer = viewers.getByApiToken(hash);
  if (viewer === undefined) {
    const ticket = viewers.ticket();
    const read = await credentialsOfApiToken(sql, hash);
    if (read === null) return null;
    viewers.setByApiToken(hash, read, ticket);
    viewer = read;
  }
  usage?.used(viewer.apiTokenId!);
  return viewer;
}
