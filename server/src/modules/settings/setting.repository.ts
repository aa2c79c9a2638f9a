import { EntityRepository } from '@mikro-orm/postgresql';
import type { Setting } from './setting.entity.js';

/** Process-wide values kept in the `settings` table. */
export class SettingRepository extends EntityRepository<Setting> {
  /**
   * Returns the value of `key`, storing `candidate` first if the key has none. Of several
   * processes racing here, the first insert wins and every process reads that one value.
   */
  async getOrInsert(key: string, candidate: string): Promise<string> {
    const em = this.getEntityManager();
    await em.execute('insert into settings (key, value) values (?, ?) on conflict (key) do nothing', [key, candidate]);
    const rows = await em.execute<{ value: string }[]>('select value from settings where key = ?', [key]);
    return rows[0]!.value;
  }

  /**
   * Locks `key`'s row for the rest of the transaction and returns its value (null when none),
   * so read-modify-write changes of one setting never interleave.
   */
  async lockValue(key: string): Promise<string | null> {
    const rows = await this.getEntityManager().execute<{ value: string }[]>('select value from settings where key = ? for update', [key]);
    return rows[0]?.value ?? null;
  }

  /** Stores `value` under `key`, replacing what was there. */
  async put(key: string, value: string): Promise<void> {
    await this.getEntityManager().execute(
      'insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value',
      [key, value],
    );
  }
}
