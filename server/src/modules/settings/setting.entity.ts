import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A process-wide value shared through the database, such as the generated JWT key. */
@Entity({ tableName: 'settings' })
export class Setting {
  @PrimaryKey({ type: 'string', length: 64 })
  key!: string;

  @Property({ type: 'text', hidden: true })
  value!: string;
}
