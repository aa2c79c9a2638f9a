import { DateTime } from '../../graphql/date-time.js';
import { Field, ID, ObjectType } from 'type-graphql';
import type { ApiTokenRecord } from './api-token.service.js';

/** A personal API token as its owner sees it: never its value or hash. */
@ObjectType('ApiToken', { description: 'A personal API token for scripts and the command-line client' })
export class ApiTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'What its owner called it' })
  name!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'Last request made with it, to the minute; null if never used' })
  lastUsedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it stops working; null if never' })
  expiresAt!: Date | null;

  static from(record: ApiTokenRecord): ApiTokenType {
    return Object.assign(new ApiTokenType(), record);
  }
}

@ObjectType('ApiTokenCreated')
export class ApiTokenCreatedType {
  @Field(() => String, { description: 'The token, `gpa_…`: shown this once, never again' })
  token!: string;

  @Field(() => ApiTokenType)
  apiToken!: ApiTokenType;
}
