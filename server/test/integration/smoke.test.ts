import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../harness.js';

describe('the API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('should serve /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('should register a user who sees their own quota', async () => {
    const user = await server.register();
    const res = await server.gql('{ me { id email quota { limitGpuHours usedGpuHours remainingGpuHours } } }', {}, user.token);
    expect(res.data?.me).toMatchObject({ id: user.id, quota: { limitGpuHours: 100, usedGpuHours: 0, remainingGpuHours: 100 } });
  });
});
