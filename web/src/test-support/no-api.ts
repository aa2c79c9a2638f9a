import type { Window as HappyDomWindow } from 'happy-dom';

/**
 * For component tests, which run without an API: every request fails at once, as a refused
 * connection does, without happy-dom logging the refusal. Views then show what the Apollo cache
 * holds, as they do offline; a test puts there what the API would have sent.
 */
export function refuseRequests(): void {
  const { happyDOM, Response } = window as unknown as HappyDomWindow;
  happyDOM.settings.fetch.interceptor = { beforeAsyncRequest: () => Promise.resolve(Response.error()) };
}
