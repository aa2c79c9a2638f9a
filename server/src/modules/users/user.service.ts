import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { MAX_PAGE_SIZE, checkPageSize, decodeCursor, isUuid, toPage, type Page } from '../../pagination.js';
import type { Logger } from '../../logger.js';
import { authErrors } from '../auth/auth.errors.js';
import type { PasswordHasher } from '../auth/password.js';
import type { TokenService } from '../auth/token.service.js';
import { RateLimiter, rateKeys } from '../auth/rate-limiter.js';
import { requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import { ViewerCache } from '../auth/viewer-cache.js';
import { Role, User } from './user.entity.js';
import { userErrors } from './user.errors.js';
import { credentialsOf, tokenVersions } from './user.queries.js';
import type { SqlRunner } from '../../db/sql.js';
import { MAX_EMAIL_LENGTH, isPlausibleEmail, normalizeEmail, validateEmail, validatePassword } from './user.validation.js';
import { badUserInput } from '../../errors/app-error.js';
import { ApiToken } from '../api-tokens/api-token.entity.js';
import type { ApiTokenUsage } from '../api-tokens/api-token-usage.js';
import { authenticateApiToken, requirePasswordSession } from '../api-tokens/api-token.service.js';
import { isApiToken } from '../api-tokens/api-token.secret.js';

/** A signed-in session: the token and its user. */
export interface Session {
  token: string;
  user: User;
}

/** Told when a user's tokens are revoked, so every API process closes that user's sockets. */
export interface RevocationListener {
  revoked(userId: string): void;
}

/** Accounts: registration, login, token checks, revocation, listing and the first admin. */
export class UserService {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly em: EntityManager,
    private readonly config: Config,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationListener,
    private readonly sql: SqlRunner,
    private readonly viewers: ViewerCache = new ViewerCache(0),
    private readonly apiTokenUsage?: ApiTokenUsage,
  ) {
    this.limiter = new RateLimiter(em, config.limits);
  }

  private get users() {
    return this.em.getRepository(User);
  }

  /**
   * Creates an account. Limited per client address (RATE_LIMITED), checked before any work.
   */
  async register(input: { email: string; password: string }, clientAddress: string): Promise<Session> {
    const byAddress = rateKeys.address('register', clientAddress);
    await this.limiter.hit([{ key: byAddress, max: this.config.limits.authPerAddress }], [byAddress]);
    const email = validateEmail(input.email);
    validatePassword(input.password, email);
    if (await this.users.findByEmail(email)) throw userErrors.emailTaken();
    const user = this.em.create(User, { email, passwordHash: await this.passwords.hash(input.password) });
    try {
      await this.em.persistAndFlush(user);
    } catch (error) {
      // Two registrations of one email at once: the unique index decides.
      if (error instanceof UniqueConstraintViolationException) throw userErrors.emailTaken();
      throw error;
    }
    return this.session(user);
  }

  /**
   * Signs in. Attempts are limited per client address and per account (whether or not the
   * account exists, so the limit reveals nothing), counted before the password is checked so
   * concurrent guesses cannot slip past the limit.
   */
  async login(input: { email: string; password: string }, clientAddress: string): Promise<Session> {
    const email = normalizeEmail(input.email);
    // No account has such an email; it must not reach the database (PostgreSQL refuses NUL).
    if (!isPlausibleEmail(email)) throw authErrors.invalidCredentials();
    const byAddress = rateKeys.address('login', clientAddress);
    const byAccount = rateKeys.account(email);
    await this.limiter.hit(
      [
        { key: byAddress, max: this.config.limits.authPerAddress },
        { key: byAccount, max: this.config.limits.loginPerAccount },
      ],
      [byAddress, byAccount],
    );
    const user = await this.users.findByEmail(email);
    const ok = await this.passwords.verify(input.password, user?.passwordHash ?? null);
    if (!user || !ok) throw authErrors.invalidCredentials();
    return this.session(user);
  }

  /** Revokes every token of the viewer, this one and every API token included ("sign out everywhere"). */
  async logoutEverywhere(viewer: Viewer | null): Promise<boolean> {
    const v = requireViewer(viewer);
    await this.bumpTokenVersion(v.id);
    return true;
  }

  /**
   * Changes the viewer's password after checking the current one; every other token, API tokens
   * included, is revoked and a new session is returned. Not with an API token (FORBIDDEN).
   */
  async changePassword(viewer: Viewer | null, currentPassword: string, newPassword: string): Promise<Session> {
    const v = requireViewer(viewer);
    requirePasswordSession(v, 'change the password');
    const user = await this.users.findOne({ id: v.id });
    if (!user || !(await this.passwords.verify(currentPassword, user.passwordHash))) {
      throw badUserInput('currentPassword', 'is not your current password');
    }
    validatePassword(newPassword, user.email);
    user.passwordHash = await this.passwords.hash(newPassword);
    user.tokenVersion += 1;
    // Revoked first, in its own statement: should the version's write fail, more is revoked, never less.
    await this.em.getRepository(ApiToken).revokeAll(user.id);
    await this.em.flush();
    this.revocations.revoked(user.id);
    return this.session(user);
  }

  /**
   * Sets a user's role (admins only, and not with an API token); the user's tokens are revoked,
   * so a demotion bites at once.
   */
  async setRole(viewer: Viewer | null, userId: string, role: Role): Promise<User> {
    requirePasswordSession(requireAdmin(viewer), 'change a role');
    const user = isUuid(userId) ? await this.users.findOne({ id: userId }) : null;
    if (!user) throw userErrors.notFound();
    if (user.role !== role) {
      user.role = role;
      user.tokenVersion += 1;
      await this.em.flush();
      this.revocations.revoked(user.id);
    }
    return user;
  }

  private async bumpTokenVersion(userId: string): Promise<void> {
    const user = await this.users.findOneOrFail({ id: userId });
    user.tokenVersion += 1;
    // Revoked first, in its own statement: should the version's write fail, more is revoked, never less.
    await this.em.getRepository(ApiToken).revokeAll(userId);
    await this.em.flush();
    this.revocations.revoked(userId);
  }

  private async session(user: User): Promise<Session> {
    const token = await this.tokens.issue({ userId: user.id, role: user.role, version: user.tokenVersion });
    return { token, user };
  }

  /**
   * Turns a bearer token into the request's viewer: its signature and expiry, then the user it
   * names at the token version it carries. The user comes from the process's `ViewerCache`, which
   * forgets a user the moment a revocation is announced (a demotion, a password change, a logout
   * everywhere: all bump the version); a token newer than the cached user makes it read again.
   */
  authenticate(token: string): Promise<Viewer | null> {
    return authenticate(token, this.tokens, this.sql, this.viewers, this.apiTokenUsage);
  }

  /**
   * The current token version of each of `userIds` that still exists, for closing sockets whose
   * tokens were revoked (a deleted user is missing from the map).
   */
  tokenVersions(userIds: readonly string[]): Promise<Map<string, number>> {
    return tokenVersions(this.sql, userIds);
  }

  async me(viewer: Viewer | null): Promise<User> {
    const v = requireViewer(viewer);
    const user = await this.users.findOne({ id: v.id });
    if (!user) throw authErrors.unauthenticated();
    return user;
  }


  /** Finds a user by id (admins only). */
  async get(viewer: Viewer | null, id: string): Promise<User> {
    requireAdmin(viewer);
    const user = isUuid(id) ? await this.users.findOne({ id }) : null;
    if (!user) throw userErrors.notFound();
    return user;
  }

  /**
   * All users, oldest first (admins only); with `search`, those whose email contains it, ignoring
   * case (blank: everyone).
   *
   * @throws AppError BAD_USER_INPUT for a bad page size or cursor, or a search longer than an email may be.
   */
  async list(viewer: Viewer | null, first: number, after: string | null | undefined, search?: string | null): Promise<Page<User>> {
    requireAdmin(viewer);
    checkPageSize(first, MAX_PAGE_SIZE);
    const text = search?.trim() ?? '';
    if (text.length > MAX_EMAIL_LENGTH) throw badUserInput('search', `must be at most ${MAX_EMAIL_LENGTH} characters`);
    const cursor = after ? decodeCursor(after) : null;
    const filter = text === '' ? null : text;
    const [rows, totalCount] = await Promise.all([this.users.page(first, cursor, filter), this.users.countMatching(filter)]);
    return toPage(rows, first, totalCount);
  }

  /**
   * Creates the first admin when none exists: from ADMIN_EMAIL/ADMIN_PASSWORD, or outside
   * production as `admin@localhost` with a random password that is logged once. A transaction-level
   * advisory lock keeps two processes starting together from both creating one.
   */
  async ensureFirstAdmin(log: Logger): Promise<void> {
    await this.em.transactional(async (tx) => {
      const users = tx.getRepository(User);
      await users.lockFirstAdmin();
      if (await users.adminExists()) return;
      let email = this.config.adminEmail;
      let password = this.config.adminPassword;
      let generated = false;
      if (email === undefined || password === undefined) {
        if (this.config.production) {
          log.warn({}, 'No admin exists; set ADMIN_EMAIL and ADMIN_PASSWORD to create one');
          return;
        }
        email = 'admin@localhost';
        password = randomBytes(12).toString('base64url');
        generated = true;
      }
      email = normalizeEmail(email);
      const passwordHash = await this.passwords.hash(password);
      const existing = await users.findByEmail(email);
      if (existing) {
        existing.role = Role.ADMIN;
        existing.passwordHash = passwordHash;
        existing.tokenVersion += 1;
      } else {
        tx.persist(tx.create(User, { email, passwordHash, role: Role.ADMIN }));
      }
      await tx.flush();
      if (generated) {
        // Shown once: it is not stored anywhere but as a bcrypt hash.
        process.stdout.write(
          `\n  First admin created: ${email}  password: ${password}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own)\n\n`,
        );
      }
      log.info({ email }, 'First admin created');
    });
  }
}

/**
 * `UserService.authenticate` without a unit of work: a request's token check needs only the
 * process's token keys, its user cache and the pool.
 */
export async function authenticate(
  token: string,
  tokens: TokenService,
  sql: SqlRunner,
  viewers: ViewerCache,
  apiTokenUsage?: ApiTokenUsage,
): Promise<Viewer | null> {
  if (isApiToken(token)) return authenticateApiToken(token, sql, viewers, apiTokenUsage);
  const claims = await tokens.verify(token);
  if (!claims || !isUuid(claims.userId)) return null;
  let user = viewers.get(claims.userId);
  if (user === undefined || user.tokenVersion < claims.version) {
    const ticket = viewers.ticket();
    user = (await credentialsOf(sql, claims.userId)) ?? undefined;
    if (user === undefined) return null;
    viewers.set(user, ticket);
  }
  return user.tokenVersion === claims.version ? user : null;
}
