/**
 * The floor cell: what a request costs before it does any work. node:http answering fixed JSON,
 * Apollo Server 5's standalone server answering `{ __typename }` on a one-field schema, and gpuaas
 * answering an authenticated `{ gpuTypes }` (HTTP, the fast path or Apollo, the schema's
 * middleware, the token check and the request's log line, and a list read from memory), each in a process of its own,
 * driven by the same closed-loop load generator in interleaved runs.
 */
import { closedLoop } from './closed-loop.js';
import { createScenarioDatabase } from './database.js';
import { GraphQLHttpClient } from './graphql-client.js';
import { PeerProcess } from './peer-process.js';
import { serverCpuFinding } from './peer.js';
import { fig, num, ratio, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Cells, clientsLabel, profiledPass, Servers, type ScenarioContext } from './scenario.js';
import { seedUsers } from './seed.js';

type Path = 'node-http' | 'apollo' | 'gpuaas';
const PATHS: Path[] = ['node-http', 'apollo', 'gpuaas'];
const PATH_LABEL: Record<Path, string> = {
  'node-http': 'node:http, fixed JSON',
  apollo: 'Apollo Server 5 standalone, `{ __typename }`',
  gpuaas: 'gpuaas, `{ gpuTypes }` with a token',
};
/** The request floor's target: gpuaas's authenticated floor against bare node:http. */
const FLOOR_TARGET = 0.35;

export async function runFloor(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { clients: levels, warmupMs, durationMs } = settings.floor;
  const started = performance.now();
  const db = await createScenarioDatabase(ctx.database, 'floor');
  const servers = new Servers(ctx);
  const peers: PeerProcess[] = [];
  try {
    const users = await seedUsers(db.pool, ctx.jwtSecret, { count: Math.max(...levels), role: 'USER', prefix: 'floor' });
    const api = await servers.start('floor-api', 'api', db.url);
    const nodeHttp = await PeerProcess.start({ name: 'floor-node-http', kind: 'node-http', dir: ctx.dir, cpuProfile: settings.cpuProfile });
    peers.push(nodeHttp);
    const apollo = await PeerProcess.start({ name: 'floor-apollo', kind: 'apollo', dir: ctx.dir, cpuProfile: settings.cpuProfile });
    peers.push(apollo);

    const cells = new Cells();
    for (let run = 0; run < settings.runs; run++) {
      for (const clients of levels) {
        for (const path of PATHS) {
          const server = path === 'gpuaas' ? api : path === 'apollo' ? apollo : nodeHttp;
          const http = new GraphQLHttpClient(server.url, clients);
          try {
            cells.add(`${path}:${clients}`, await closedLoop({
              clients, warmupMs, durationMs, watchPids: [server.pid],
              op: path === 'gpuaas'
                ? (c) => http.request('query Floor { gpuTypes }', {}, users[c]!.token)
                : () => http.request('{ __typename }', {}, undefined),
            }));
          } finally {
            http.close();
          }
        }
      }
    }

    const table: Table = {
      title: 'The request floor: requests/s of a request that does no work, by server',
      columns: ['clients', 'server', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU (cores)', 'server CPU per request (ms)', '÷ node:http', 'errors'],
      rows: [],
    };
    const targets: TargetCheck[] = [];
    const findings: string[] = [];
    for (const clients of levels) {
      const bare = cells.get(`node-http:${clients}`);
      for (const path of PATHS) {
        const c = cells.get(`${path}:${clients}`);
        table.rows.push([
          String(clients), PATH_LABEL[path], fig(c.opsPerSecond), fig(c.p50Ms, 2), fig(c.p99Ms, 2), fig(c.serverCpu, 2),
          num((c.serverCpu.median / c.opsPerSecond.median) * 1000, 3), ratio(c.opsPerSecond.median / bare.opsPerSecond.median), String(c.errors),
        ]);
        if (c.errors > 0) findings.push(`${PATH_LABEL[path]} at ${clientsLabel(clients)}: ${c.errors} errors, first: ${c.firstError}`);
        findings.push(serverCpuFinding(`${PATH_LABEL[path]} at ${clientsLabel(clients)}`, path === 'node-http' ? 'node:http' : path === 'apollo' ? 'Apollo' : 'gpuaas', c));
      }
      const ours = cells.get(`gpuaas:${clients}`);
      const share = ours.opsPerSecond.median / bare.opsPerSecond.median;
      const perRequest = (c: typeof ours) => (c.serverCpu.median / c.opsPerSecond.median) * 1000;
      findings.push(
        `At ${clientsLabel(clients)}, CPU per request: gpuaas ${num(perRequest(ours), 3)} ms, Apollo ${num(perRequest(cells.get(`apollo:${clients}`)), 3)} ms, node:http ${num(perRequest(bare), 3)} ms ` +
          `(node:http's cost is ${ratio(perRequest(bare) / perRequest(ours))} of gpuaas's).` +
          (bare.serverCpu.median < 0.9
            ? ` node:http used only ${num(bare.serverCpu.median, 2)} cores: its rate was set by the load generator and the machine's cores, not by node:http, so gpuaas's ratio to it is higher than it would be with spare cores.`
            : ''),
      );
      targets.push({
        target: `Floor at ${clientsLabel(clients)}: gpuaas's \`{ gpuTypes }\` ≥ ${FLOOR_TARGET} × node:http`,
        measured: `${ratio(share)} (${num(ours.opsPerSecond.median)}/s vs ${num(bare.opsPerSecond.median)}/s)`,
        met: share >= FLOOR_TARGET,
      });
    }
    const most = Math.max(...levels);
    const profile = await profiledPass(ctx, 'floor-api-profiled', '`{ gpuTypes }`', db.url, most, { warmupMs, durationMs }, (http, c) => http.request('query Floor { gpuTypes }', {}, users[c]!.token));
    const evidence = [...(await servers.stopAll()), ...profile];
    for (const peer of peers) {
      await peer.stop();
      const summary = peer.profileSummary();
      if (summary !== null) evidence.push({ title: `CPU profile of ${peer.name} (node --cpu-prof)`, text: summary });
    }
    return {
      title: '12. Floor: what a request costs before it does any work',
      method: [
        'node:http: a server that reads the request body and answers a fixed `{"data":{"__typename":"Query"}}`, the least any HTTP server on Node.js does.',
        'Apollo Server 5: `startStandaloneServer` with the schema `type Query { hello: String }`, answering `{ __typename }` (parse, validate, execute, serialize; no plugins beyond its defaults).',
        'gpuaas: the built server (`--role api`) answering `query Floor { gpuTypes }` with a valid token (HTTP, the security headers, the fast path of an already validated document or else Apollo\'s pipeline, the token check from its per-process cache, the operation\'s metrics, the request\'s log line to a file, and the GPU types read from memory): the floor of every authenticated request.',
        `Each server in a process of its own with NODE_ENV=production, the same kept-alive client (undici's \`Pool.dispatch\`) and closed loop; ${warmupMs} ms warm-up then ${durationMs} ms measured per cell, runs interleaved (every server once per run, at ${levels.join(' and ')} clients), ${settings.runs} run(s).`,
      ],
      tables: [table],
      targets,
      findings,
      evidence,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await servers.stopAll();
    for (const peer of peers) await peer.stop();
    await db.drop();
  }
}
