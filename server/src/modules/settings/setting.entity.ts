import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import { SettingRepository } from './setting.repository.js';

/** A process-wide value shared through the database, such as the generated JWT key. */
@Entity({ tableName: 'settings', repository: () => SettingRepository })
export class Setting {
  [EntityRepositoryType]?: SettingRepository;

  @PrimaryKey({ type: 'string', length: 64 })
  key!: string;

  @Property({ type: 'text', hidden: true })
  value!: string;
}
