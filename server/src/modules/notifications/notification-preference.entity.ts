import { Entity, OneToOne, Property, type Rel } from '@mikro-orm/core';
import { User } from '../users/user.entity.js';

/** A user's notification choices; no row means the defaults (no e-mail). */
@Entity({ tableName: 'notification_preferences' })
export class NotificationPreference {
  @OneToOne({ entity: () => User, primary: true, deleteRule: 'cascade' })
  user!: Rel<User>;

  /** Whether notifications also go out by e-mail (when SMTP_URL is set). */
  @Property({ type: 'boolean' })
  email = false;
}
