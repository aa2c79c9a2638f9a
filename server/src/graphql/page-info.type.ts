import { Field, ObjectType } from 'type-graphql';

/** Relay-style page information of a connection. */
@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
