/**
 * Sums up a V8 CPU profile (`node --cpu-prof`, BENCH_PROFILE=1) as text for the results: where
 * the server's one JavaScript thread spent its busy time, by package (inclusive: time in the
 * package or anything it called) and by function (self time, with native work such as socket
 * writes charged to the JavaScript function that asked for it).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  /** When the last sample was taken, in µs of the process's monotonic clock. */
  endTime: number;
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The layers of a request, by the script URLs on the stack. A sample counts for every layer on
 * its stack, so the pg driver's time also shows in the ORM's when the ORM called it.
 */
const LAYERS: [string, RegExp][] = [
  ['ORM (@mikro-orm/*, knex)', /@mikro-orm\/|\/knex\//],
  ['pg driver', /\/pg\/|\/pg-protocol\/|\/pg-pool\//],
  ['GraphQL (Apollo, graphql-js, type-graphql, graphql-ws, armor)', /@apollo\/|\/graphql\/|\/type-graphql\/|\/graphql-ws\/|@escape\.tech/],
  ['HTTP (express, router, body-parser)', /\/express\/|\/router\/|\/body-parser\/|\/raw-body\//],
  ['WebSocket (ws)', /\/ws\/lib\//],
  ['logging (pino, request log)', /\/pino\/|\/sonic-boom\/|request-log\.js/],
  ['JWT (jose)', /\/jose\//],
  ['start-up (module loading, migrations)', /@mikro-orm\/migrations|\/umzug\/|modules\/esm\/|modules\/cjs\//],
];

/** `node_modules/<package>`, `gpuaas <file>`, or node core, from a script URL. */
function owner(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return 'node core';
  const server = /\/server\/dist\/server\/src\/(.*)$/.exec(url);
  return server ? `gpuaas ${server[1]}` : url;
}

/**
 * The top packages and functions of the profile at `file`, or null without one; with `lastMs`,
 * of its last `lastMs` milliseconds only (leaving the process's start-up and warm-up out).
 */
export function summarizeCpuProfile(file: string, top = 15, lastMs?: number): string | null {
  if (!existsSync(file)) return null;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  const from = lastMs === undefined ? Number.NEGATIVE_INFINITY : profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  let busy = 0;
  let gc = 0;
  const inclusive = new Map<string, number>();
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    if (frame.functionName === '(garbage collector)') gc += us;
    // Native frames have no URL: charge them to the nearest JavaScript caller.
    let js: ProfileNode | undefined = byId.get(id);
    while (js && js.callFrame.url === '') js = byId.get(parent.get(js.id) ?? -1);
    const name = js
      ? `${js.callFrame.functionName || '(anonymous)'} ${path.basename(js.callFrame.url)}:${js.callFrame.lineNumber + 1} [${owner(js.callFrame.url)}]` +
        (js.id === id ? '' : ` → ${frame.functionName}`)
      : frame.functionName;
    add(functions, name, us);
    const owners = new Set<string>();
    const urls: string[] = [];
    for (let n: ProfileNode | undefined = byId.get(id); n; n = byId.get(parent.get(n.id) ?? -1)) {
      if (n.callFrame.url === '') continue;
      urls.push(n.callFrame.url);
      owners.add(owner(n.callFrame.url));
    }
    for (const o of owners) add(inclusive, o, us);
    for (const [layer, pattern] of LAYERS) if (urls.some((u) => pattern.test(u))) add(layers, layer, us);
  }
  const lines = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`);
  return [
    `busy time sampled: ${(busy / 1e6).toFixed(1)} s (idle left out), of which garbage collection ${((100 * gc) / busy).toFixed(1)} %`,
    '',
    'inclusive time by layer (async work is charged to the layer that resumed it):',
    ...lines(layers),
    '',
    'inclusive time by package (the package or anything it called):',
    ...lines(inclusive).filter((l) => !l.endsWith('node core')),
    '',
    'self time by function (native calls charged to their JavaScript caller):',
    ...lines(functions),
  ].join('\n');
}
