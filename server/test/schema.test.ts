import { readFile } from 'node:fs/promises';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { printGraphQLSchema } from '../src/graphql/schema.js';
import { SCHEMA_FILE } from '../src/paths.js';

describe('the GraphQL schema', () => {
  let printed: string;
  let schema: GraphQLSchema;
  beforeAll(async () => {
    printed = await printGraphQLSchema();
    schema = buildSchema(printed);
  });

  it('should be up to date in schema.graphql', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    expect(
      committed,
      `${SCHEMA_FILE} is missing or out of date with the resolvers: run \`npm run schema\` and commit the result`,
    ).toBe(printed);
  });

  function objectType(name: string): GraphQLObjectType {
    const type: GraphQLNamedType | undefined = schema.getType(name);
    expect(isObjectType(type), `type ${name}`).toBe(true);
    return type as GraphQLObjectType;
  }

  it.each(['User', 'Quota', 'Job', 'JobEvent', 'AuthPayload', 'JobEdge', 'JobConnection', 'UserEdge', 'UserConnection', 'PageInfo'])(
    'should have the type %s of the API contract',
    (name) => {
      objectType(name);
    },
  );

  it.each(['RegisterInput', 'LoginInput', 'CreateJobInput', 'JobFilter'])('should have the input %s of the API contract', (name) => {
    expect(isInputObjectType(schema.getType(name)), name).toBe(true);
  });

  it('should have the enums of the API contract', () => {
    const role = schema.getType('Role');
    const status = schema.getType('JobStatus');
    expect(isEnumType(role) && role.getValues().map((v) => v.name).sort()).toEqual(['ADMIN', 'USER']);
    expect(isEnumType(status) && status.getValues().map((v) => v.name).sort()).toEqual(
      ['APPROVED', 'CANCELLED', 'COMPLETED', 'FAILED', 'PENDING', 'REJECTED', 'RUNNING'],
    );
  });

  it('should have the queries of the API contract', () => {
    const fields = schema.getQueryType()?.getFields() ?? {};
    for (const name of ['me', 'job', 'jobs', 'users', 'gpuTypes']) expect(fields, `Query.${name}`).toHaveProperty(name);
    expect(String(fields.me?.type)).toBe('User!');
    expect(String(fields.job?.type)).toBe('Job!');
    expect(String(fields.jobs?.type)).toBe('JobConnection!');
    expect(String(fields.users?.type)).toBe('UserConnection!');
    expect(String(fields.gpuTypes?.type)).toBe('[String!]!');
  });

  it('should have the mutations of the API contract', () => {
    const fields = schema.getMutationType()?.getFields() ?? {};
    const expected: Record<string, string> = {
      register: 'AuthPayload!',
      login: 'AuthPayload!',
      createJob: 'Job!',
      cancelJob: 'Job!',
      approveJob: 'Job!',
      rejectJob: 'Job!',
      startJob: 'Job!',
      completeJob: 'Job!',
      failJob: 'Job!',
      setUserQuota: 'Quota!',
    };
    for (const [name, type] of Object.entries(expected)) {
      expect(fields, `Mutation.${name}`).toHaveProperty(name);
      expect(String(fields[name]?.type), `Mutation.${name}`).toBe(type);
    }
  });

  it('should give the fields of the API contract their types', () => {
    const fieldTypes = (name: string) =>
      Object.fromEntries(Object.values(objectType(name).getFields()).map((f) => [f.name, String(f.type)]));
    expect(fieldTypes('User')).toMatchObject({ id: 'ID!', email: 'String!', role: 'Role!', createdAt: 'DateTime!', quota: 'Quota!' });
    expect(fieldTypes('Quota')).toMatchObject({
      month: 'String!',
      limitGpuHours: 'Float!',
      usedGpuHours: 'Float!',
      remainingGpuHours: 'Float!',
    });
    expect(fieldTypes('Job')).toMatchObject({
      id: 'ID!',
      name: 'String!',
      owner: 'User!',
      gpuType: 'String!',
      gpuCount: 'Int!',
      hours: 'Float!',
      gpuHours: 'Float!',
      status: 'JobStatus!',
      progress: 'Int!',
      statusReason: 'String',
      chargedGpuHours: 'Float',
      createdAt: 'DateTime!',
      approvedAt: 'DateTime',
      startedAt: 'DateTime',
      finishedAt: 'DateTime',
      events: '[JobEvent!]!',
    });
    expect(fieldTypes('JobEvent')).toMatchObject({ at: 'DateTime!', from: 'JobStatus', to: 'JobStatus!', actor: 'User', reason: 'String' });
    expect(fieldTypes('AuthPayload')).toMatchObject({ token: 'String!', user: 'User!' });
    expect(fieldTypes('PageInfo')).toMatchObject({ hasNextPage: 'Boolean!', endCursor: 'String' });
    expect(fieldTypes('JobConnection')).toMatchObject({ edges: '[JobEdge!]!', pageInfo: 'PageInfo!', totalCount: 'Int!' });
    expect(fieldTypes('UserConnection')).toMatchObject({ edges: '[UserEdge!]!', pageInfo: 'PageInfo!', totalCount: 'Int!' });
  });

  it('should never expose a password hash or other secrets', () => {
    expect(printed).not.toMatch(/password_?hash|token_?version|lease_?owner|lease_?expires/i);
  });
});
