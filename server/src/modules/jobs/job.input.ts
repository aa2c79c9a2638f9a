import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { JobStatus } from './job-status.js';

@InputType('CreateJobInput')
export class CreateJobInput {
  @Field(() => String, { description: '1–120 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'One of gpuTypes; the first when omitted' })
  gpuType?: string | null;

  @Field(() => Int, { description: '1 to the configured maximum (default 8)' })
  gpuCount!: number;

  @Field(() => Float, { description: 'Wall-clock limit: more than 0, up to the configured maximum (default 72)' })
  hours!: number;
}

@InputType('JobFilter')
export class JobFilter {
  @Field(() => JobStatus, { nullable: true })
  status?: JobStatus | null;

  @Field(() => ID, { nullable: true, description: "Only this user's jobs (admins; users may name only themselves)" })
  userId?: string | null;
}
