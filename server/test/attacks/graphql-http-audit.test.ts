/**
 * GraphQL over HTTP conformance: graphql-http's server audits against a real server with its
 * production configuration (CSRF prevention, no batching, body limit). Every MUST audit passes;
 * the SHOULD and MAY audits that do not are listed in the test output, with their reasons.
 */
import { serverAudits, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../harness.js';

describe('graphql-http server audits', () => {
  let server: TestServer;
  const results: AuditResult[] = [];
  /** What the server answered to each audit that did not pass, for the report. */
  const answers = new Map<string, string>();

  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(async () => {
    const failing = results.filter((r) => r.status !== 'ok' && !r.name.startsWith('MUST'));
    const report = failing
      .map((r) => `  ${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}\n    answered ${answers.get(r.id) ?? '?'}`)
      .join('\n');
    // eslint-disable-next-line no-console -- this list is the test's report, for the README
    console.log(`graphql-http: ${failing.length} of ${results.length} audits not passed (none is a MUST):\n${report}`);
    await server?.close();
  });

  const audits = serverAudits({ url: () => `${server.url}/graphql`, fetchFn: fetch });

  it.each(audits.map((audit) => ({ ...audit, label: `${audit.id} ${audit.name}` })))('$label', async (audit) => {
    const result = await audit.fn();
    results.push(result);
    if (result.status !== 'ok' && 'response' in result) {
      const { response } = result;
      const body = response.bodyUsed ? '(body read by the audit)' : (await response.text()).slice(0, 160);
      answers.set(audit.id, `${response.status} ${response.headers.get('content-type') ?? ''} ${body}`);
    }
    if (audit.name.startsWith('MUST')) {
      expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
    }
  });
});
