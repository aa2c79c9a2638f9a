import type { Viewer } from './viewer.js';

/**
 * The users that tokens name, kept in memory for at most AUTH_CACHE_MS, so a request's token check
 * is a signature check and a map lookup instead of a database round trip. Entries go at once when
 * a user's tokens are revoked here or in any other process (`forget`, from the revocation
 * announcement), all of them when the announcements may have been missed (`clear`, on every
 * (re)connection of the listener), and otherwise when they are older than the limit. A read that
 * began before a `forget` or `clear` stores nothing, so an answer read just before a revocation
 * committed is never kept past it.
 *
 * API tokens are kept the same way, by their hash, beside the users: a token's entry goes with
 * its user's (`forget`), since every revocation of a token announces its user.
 */
export class ViewerCache {
  private readonly entries = new Map<string, { viewer: Viewer; at: number }>();
  private readonly apiTokens = new Map<string, { viewer: Viewer; at: number }>();
  private generation = 0;

  constructor(
    /** How long an entry is trusted; 0 keeps nothing (every request reads the database). */
    readonly maxAgeMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** The cached user, if read less than `maxAgeMs` ago. */
  get(userId: string, now = Date.now()): Viewer | undefined {
    const entry = this.entries.get(userId);
    if (entry === undefined) return undefined;
    if (now - entry.at >= this.maxAgeMs) {
      this.entries.delete(userId);
      return undefined;
    }
    return entry.viewer;
  }

  /** The viewer of an API token (by its hash), if read less than `maxAgeMs` ago and not expired since. */
  getByApiToken(tokenHash: string, now = Date.now()): Viewer | undefined {
    const entry = this.apiTokens.get(tokenHash);
    if (entry === undefined) return undefined;
    const expiresAt = entry.viewer.apiTokenExpiresAt;
    if (now - entry.at >= this.maxAgeMs || (expiresAt != null && expiresAt.getTime() <= now)) {
      this.apiTokens.delete(tokenHash);
      return undefined;
    }
    return entry.viewer;
  }

  /** Keeps an API token's viewer, read from the database since `ticket` was taken. */
  setByApiToken(tokenHash: string, viewer: Viewer, ticket: number, now = Date.now()): void {
    if (this.maxAgeMs <= 0 || ticket !== this.generation) return;
    if (this.apiTokens.size >= this.maxEntries) this.apiTokens.clear();
    this.apiTokens.set(tokenHash, { viewer, at: now });
  }

  /** A ticket for `set`: reads started before a later `forget` or `clear` are not stored. */
  ticket(): number {
    return this.generation;
  }

  /** Keeps `viewer`, read from the database since `ticket` was taken. */
  set(viewer: Viewer, ticket: number, now = Date.now()): void {
    if (this.maxAgeMs <= 0 || ticket !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(viewer.id, { viewer, at: now });
  }

  /** Drops a user whose tokens were revoked or whose account changed. */
  forget(userId: string): void {
    this.generation += 1;
    this.entries.delete(userId);
    // Revocations are rare and API tokens few: a scan costs less than an index kept per user.
    for (const [hash, entry] of this.apiTokens) if (entry.viewer.id === userId) this.apiTokens.delete(hash);
  }

  /** Drops everyone (announcements may have been missed). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.apiTokens.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
