/**
 * Runs `read` one at a time on demand: `wake` starts a read, or, while one runs, asks for exactly
 * one more after it, however many wake-ups arrive meanwhile (each read takes everything new, so
 * one more covers them all). A read's failure is handed to `onError`; the next wake-up reads again.
 */
export class SerialReader {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.read()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Waits for the read under way, if any (and not for one asked for after it). */
  async settled(): Promise<void> {
    await this.running;
  }
}
