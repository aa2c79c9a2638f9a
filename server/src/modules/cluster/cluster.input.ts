import { Field, InputType, Int } from 'type-graphql';
import { GpuNodeState } from './gpu-node.entity.js';

@InputType('AddGpuNodeInput')
export class AddGpuNodeInput {
  @Field(() => String, { description: 'Lower-case letters, digits and -, 1–63 characters; unique' })
  name!: string;

  @Field(() => String, { description: 'An existing type joins its pool; a new one starts a pool' })
  gpuType!: string;

  @Field(() => Int, { description: '1–64' })
  gpuCount!: number;
}

@InputType('UpdateGpuNodeInput')
export class UpdateGpuNodeInput {
  @Field(() => GpuNodeState, { nullable: true, description: 'DOWN fails the jobs running there' })
  state?: GpuNodeState | null;

  @Field(() => Int, { nullable: true, description: 'New size; shrinking gives up only free GPUs' })
  gpuCount?: number | null;
}
