/** How often a token's `lastUsedAt` is written at most. */
export const LAST_USED_INTERVAL_MS = 60_000;

/**
 * Records API token use without a write per request: each process asks for a token's
 * `lastUsedAt` to be written at most once per `intervalMs`, and the write itself is conditional
 * (`touchApiToken`), so several processes together still write it at most once a minute.
 * Writes are not awaited: a request never waits for them, and a failed one is only logged.
 */
export class ApiTokenUsage {
  private readonly written = new Map<string, number>();
  /** Requests authenticated by an API token in this process (for metrics). */
  requests = 0;

  constructor(
    private readonly write: (tokenId: string) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = LAST_USED_INTERVAL_MS,
    private readonly maxEntries = 100_000,
  ) {}

  /** Counts one use of `tokenId`, writing its `lastUsedAt` when this process has not lately. */
  used(tokenId: string, now = Date.now()): void {
    this.requests += 1;
    const last = this.written.get(tokenId);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.written.size >= this.maxEntries) this.written.clear();
    this.written.set(tokenId, now);
    this.write(tokenId).catch(this.onError);
  }
}
