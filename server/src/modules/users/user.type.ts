import { DateTime } from '../../graphql/date-time.js';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfoType } from '../../graphql/page-info.type.js';
import type { Page } from '../../pagination.js';
import { Role } from './user.entity.js';
import type { UserRecord } from './user.queries.js';

registerEnumType(Role, {
  name: 'Role',
  valuesConfig: { USER: { description: 'Submits and watches jobs' }, ADMIN: { description: 'Also runs the pool' } },
});

/** A user as clients see it: never the password hash or internal columns. */
@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => DateTime)
  createdAt!: Date;

  /** The user behind it, for field resolvers (not a GraphQL field). */
  entity!: UserRecord;

  static from(user: UserRecord): UserType {
    return Object.assign(new UserType(), {
      id: user.id,
      email: user.email,
      role: user.role,
      createdAt: user.createdAt,
      entity: user,
    });
  }
}

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String)
  token!: string;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType('UserEdge')
export class UserEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => UserType)
  node!: UserType;
}

@ObjectType('UserConnection')
export class UserConnectionType {
  @Field(() => [UserEdgeType])
  edges!: UserEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int)
  totalCount!: number;

  static from(page: Page<UserRecord>): UserConnectionType {
    return Object.assign(new UserConnectionType(), {
      edges: page.items.map(({ cursor, node }) => ({ cursor, node: UserType.from(node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    });
  }
}
