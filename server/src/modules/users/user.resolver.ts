import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from './user.entity.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { QuotaType } from '../quotas/quota.type.js';
import { LoginInput, RegisterInput } from './user.input.js';
import { AuthPayloadType, UserConnectionType, UserType } from './user.type.js';

@Resolver(() => UserType)
export class UserResolver {
  @Authorized()
  @Query(() => UserType, { description: 'The signed-in user' })
  async me(@Ctx() ctx: GraphQLContext): Promise<UserType> {
    return UserType.from(await ctx.services.users.me(ctx.viewer));
  }

  @Authorized('ADMIN')
  @Query(() => UserConnectionType, { description: 'All users, oldest first (admin)' })
  async users(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('search', () => String, { nullable: true, description: 'Only users whose email contains this text, ignoring case' })
    search: string | null,
  ): Promise<UserConnectionType> {
    return UserConnectionType.from(await ctx.services.users.list(ctx.viewer, first, after, search));
  }

  @Mutation(() => AuthPayloadType, { description: 'Creates an account and signs it in' })
  async register(@Ctx() ctx: GraphQLContext, @Arg('input', () => RegisterInput) input: RegisterInput) {
    const { token, user } = await ctx.services.users.register(input, ctx.clientAddress);
    return { token, user: UserType.from(user) };
  }

  @Mutation(() => AuthPayloadType, { description: 'Signs in with email and password' })
  async login(@Ctx() ctx: GraphQLContext, @Arg('input', () => LoginInput) input: LoginInput) {
    const { token, user } = await ctx.services.users.login(input, ctx.clientAddress);
    return { token, user: UserType.from(user) };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes every token of the signed-in user, on every device' })
  logoutEverywhere(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return ctx.services.users.logoutEverywhere(ctx.viewer);
  }

  @Authorized()
  @Mutation(() => AuthPayloadType, { description: 'Changes the password; every other token is revoked' })
  async changePassword(
    @Ctx() ctx: GraphQLContext,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
  ) {
    const { token, user } = await ctx.services.users.changePassword(ctx.viewer, currentPassword, newPassword);
    return { token, user: UserType.from(user) };
  }

  @Authorized('ADMIN')
  @Mutation(() => UserType, { description: "Sets a user's role and revokes their tokens (admin)" })
  async setUserRole(
    @Ctx() ctx: GraphQLContext,
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => Role) role: Role,
  ): Promise<UserType> {
    return UserType.from(await ctx.services.users.setRole(ctx.viewer, userId, role));
  }

  @FieldResolver(() => QuotaType, { description: "This month's GPU-hours" })
  async quota(@Root() user: UserType, @Ctx() ctx: GraphQLContext): Promise<QuotaType> {
    return QuotaType.from(await ctx.loaders.quota.load(user.entity));
  }
}
