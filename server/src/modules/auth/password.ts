import bcrypt from 'bcrypt';

/** Hashes passwords with bcrypt at a configured cost. */
export class PasswordHasher {
  /** A hash of a random string, compared against when an email is unknown. */
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /**
   * Checks a password against a hash; with no hash (unknown email) it still does the same bcrypt
   * work and answers false, so response times do not reveal which emails have accounts.
   */
  async verify(password: string, hash: string | null): Promise<boolean> {
    if (hash === null) {
      this.dummyHash ??= bcrypt.hash(`no account ${Math.random()}`, this.cost);
      await bcrypt.compare(password, await this.dummyHash);
      return false;
    }
    return bcrypt.compare(password, hash);
  }
}
