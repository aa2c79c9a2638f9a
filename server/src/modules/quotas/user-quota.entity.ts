import {
  Check,
  DecimalType,
  Entity,
  EntityRepositoryType,
  ManyToOne,
  PrimaryKey,
  PrimaryKeyProp,
  Property,
  type Rel,
} from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { QuotaRepository } from './quota.repository.js';

/**
 * One user's GPU-hours for one calendar month (UTC), created lazily by the first reservation.
 * `used` counts open reservations plus charges of finished jobs (the README's "Lifecycle and quota").
 */
@Entity({ tableName: 'user_quotas', repository: () => QuotaRepository })
// A refund can never take more than was reserved; the database refuses it if code ever tried.
@Check({ name: 'user_quotas_used_check', expression: 'used_gpu_hours >= 0' })
@Check({ name: 'user_quotas_limit_check', expression: 'limit_gpu_hours >= 0' })
export class UserQuota {
  [EntityRepositoryType]?: QuotaRepository;
  [PrimaryKeyProp]?: ['user', 'month'];

  @ManyToOne({ entity: () => User, primary: true, deleteRule: 'cascade' })
  user!: Rel<User>;

  /** `YYYY-MM`. */
  @PrimaryKey({ type: 'string', length: 7 })
  month!: string;

  @Property({ type: new DecimalType('number'), columnType: 'numeric(12,4)' })
  limitGpuHours!: number;

  @Property({ type: new DecimalType('number'), columnType: 'numeric(12,4)' })
  usedGpuHours!: number;
}
