import { Field, Float, Int, ObjectType } from 'type-graphql';
import { UserType } from '../users/user.type.js';
import type { MonthUsageRecord, UsageRecord } from './usage.queries.js';
import type { BillingWeightView } from './usage.service.js';

/** One user's use of one GPU type in a month. */
@ObjectType('UsageRow')
export class UsageRowType {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => String)
  gpuType!: string;

  @Field(() => Int, { description: 'Jobs submitted in the month' })
  jobs!: number;

  @Field(() => Float, { description: 'GPU-hours reserved at submission (billing weight applied)' })
  reservedGpuHours!: number;

  @Field(() => Float, { description: 'GPU-hours charged for finished jobs' })
  chargedGpuHours!: number;

  @Field(() => Float, { description: 'GPU-hours refunded: the reservation of finished jobs less their charge' })
  refundedGpuHours!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  cancelled!: number;

  @Field(() => Int)
  rejected!: number;

  static from(r: UsageRecord): UsageRowType {
    return Object.assign(new UsageRowType(), { ...r, user: UserType.from(r.user) });
  }
}

/** A user's totals for one month. */
@ObjectType('MonthUsage')
export class MonthUsageType {
  /** `YYYY-MM`. */
  @Field(() => String)
  month!: string;

  @Field(() => Int)
  jobs!: number;

  @Field(() => Float)
  reservedGpuHours!: number;

  @Field(() => Float)
  chargedGpuHours!: number;

  @Field(() => Float)
  refundedGpuHours!: number;

  static from(r: MonthUsageRecord): MonthUsageType {
    return Object.assign(new MonthUsageType(), r);
  }
}

/** A GPU type with the billing weight that multiplies what its jobs reserve and are charged. */
@ObjectType('GpuBillingWeight')
export class GpuBillingWeightType {
  @Field(() => String)
  gpuType!: string;

  @Field(() => Float)
  weight!: number;

  static from(w: BillingWeightView): GpuBillingWeightType {
    return Object.assign(new GpuBillingWeightType(), w);
  }
}
