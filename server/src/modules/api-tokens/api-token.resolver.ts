import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { ApiTokenCreatedType, ApiTokenType } from './api-token.type.js';

@Resolver(() => ApiTokenType)
export class ApiTokenResolver {
  @Authorized()
  @Query(() => [ApiTokenType], { description: 'Your API tokens that are not revoked, newest first' })
  async apiTokens(@Ctx() ctx: GraphQLContext): Promise<ApiTokenType[]> {
    return (await ctx.services.apiTokens.list(ctx.viewer)).map((t) => ApiTokenType.from(t));
  }

  @Authorized()
  @Mutation(() => ApiTokenCreatedType, {
    description: 'Creates an API token (`Authorization: Bearer gpa_…`); its value is returned only here. Not with an API token',
  })
  async createApiToken(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', () => String, { description: '1–100 characters' }) name: string,
    @Arg('expiresInDays', () => Int, { nullable: true, defaultValue: 90, description: '1–366 days; null: never expires' })
    expiresInDays: number | null,
  ): Promise<ApiTokenCreatedType> {
    const { token, apiToken } = await ctx.services.apiTokens.create(ctx.viewer, name, expiresInDays);
    return Object.assign(new ApiTokenCreatedType(), { token, apiToken: ApiTokenType.from(apiToken) });
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes one of your API tokens at once, closing the sockets it opened' })
  revokeApiToken(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.apiTokens.revoke(ctx.viewer, id);
  }
}
