/** Reads a gpuaas process's `/metrics` (Prometheus text format) into series → value. */

/** Every sample of the exposition, keyed by its series as written (`name{label="v"}`). */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Polls `/metrics` until `series` has exactly `value`; fails after `timeoutMs`. */
export async function waitForMetric(baseUrl: string, series: string, value: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = Number.NaN;
  while (Date.now() < deadline) {
    last = (await scrapeMetrics(baseUrl)).get(series) ?? Number.NaN;
    if (last === value) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${series} was ${last}, not ${value}, after ${timeoutMs} ms`);
}
