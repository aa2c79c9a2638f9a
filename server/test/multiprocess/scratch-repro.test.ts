import { afterAll, it } from 'vitest';
import { TestServer } from '../harness.js';
import { CREATE_JOB, ChildServer, SET_QUOTA, dataOf, stopAllChildren, transitionMutation } from './child-process.js';
let server: TestServer;
afterAll(async () => { await stopAllChildren(); await server?.close(); });
it('repro', { timeout: 120_000 }, async () => {
  server = await TestServer.start();
  const admin = await server.loginAdmin();
  const env = { DATABASE_URL: server.databaseUrl, SIM_SEED: 'binomial', SIM_TICK_MS: '100', SIM_SECONDS_PER_HOUR: '1', WORKER_LEASE_MS: '5000', WORKER_CLAIM_BATCH: '40' };
  const [api] = await Promise.all([ChildServer.start('api', env, 'api'), ChildServer.start('worker', env, 'w1'), ChildServer.start('worker', env, 'w2')]);
  const users = await Promise.all(Array.from({ length: 4 }, (_, i) => server.register(`r-${i}`)));
  for (const u of users) dataOf(await server.gql(SET_QUOTA, { userId: u.id, limit: 1000 }, admin.token), 'q');
  let next = 0; const errors: string[] = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < 400) {
      const i = next++;
      const res = await api.gql<{ createJob: { id: string } }>(CREATE_JOB, { input: { name: `b-${i}`, gpuCount: 1, hours: 1 } }, users[i % 4]!.token);
      if (res.errors) { errors.push(JSON.stringify(res.errors)); continue; }
      const id = res.data!.createJob.id;
      for (const op of ['approveJob', 'startJob'] as const) {
        const r = await api.gql(transitionMutation(op), { id }, admin.token);
        if (r.errors) errors.push(op + JSON.stringify(r.errors));
      }
    }
  }));
  console.log('errors', errors.length, errors.slice(0, 3));
  console.log(api.logs.filter((l) => l.level === 'error').slice(0, 3).map((l) => JSON.stringify(l)).join('\n'));
});
