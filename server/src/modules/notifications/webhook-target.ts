import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from './address-policy.js';

/** Why a URL may not receive webhooks, or null when it may. */
export type TargetRefusal = string | null;

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Checks the form of a webhook URL: http or https, at most 2000 characters, no credentials.
 * Returns the parsed URL, or why it is refused.
 */
export function parseWebhookUrl(raw: string): URL | string {
  if (raw.length > 2000) return 'must be at most 2000 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an absolute http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return url;
}

/**
 * Resolves the URL's host and refuses it when any address it resolves to is loopback, private or
 * link-local (unless `allowPrivate`). Checked when a webhook is created, and again by the
 * delivery's own connection (see `webhook-sender.ts`), since a name may resolve elsewhere later.
 */
export async function refuseTarget(url: URL, allowPrivate: boolean): Promise<TargetRefusal> {
  if (allowPrivate) return null;
  const host = hostOf(url);
  if (isIP(host) !== 0) return isPrivateAddress(host) ? 'must not point to a loopback, private or link-local address' : null;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    return `host ${host} could not be resolved`;
  }
  if (addresses.length === 0) return `host ${host} could not be resolved`;
  return addresses.some((a) => isPrivateAddress(a.address)) ? 'must not resolve to a loopback, private or link-local address' : null;
}
