import type { EntityManager } from '@mikro-orm/postgresql';

/** Process-wide values kept in the `settings` table. */
export class SettingRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Returns the value of `key`, storing `candidate` first if the key has none. Of several
   * processes racing here, the first insert wins and every process reads that one value.
   */
  async getOrInsert(key: string, candidate: string): Promise<string> {
    await this.em.execute('insert into settings (key, value) values (?, ?) on conflict (key) do nothing', [
      key,
      candidate,
    ]);
    const rows = await this.em.execute<{ value: string }[]>('select value from settings where key = ?', [key]);
    return rows[0]!.value;
  }
}
