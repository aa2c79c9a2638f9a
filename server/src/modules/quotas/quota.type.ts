import { Field, Float, ObjectType } from 'type-graphql';
import type { QuotaView } from './quota.service.js';

/** A user's GPU-hours for one calendar month (UTC). */
@ObjectType('Quota')
export class QuotaType {
  /** `YYYY-MM`. */
  @Field(() => String)
  month!: string;

  @Field(() => Float)
  limitGpuHours!: number;

  @Field(() => Float)
  usedGpuHours!: number;

  @Field(() => Float)
  remainingGpuHours!: number;

  static from(view: QuotaView): QuotaType {
    return Object.assign(new QuotaType(), view);
  }
}
