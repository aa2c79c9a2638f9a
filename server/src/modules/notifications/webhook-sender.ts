import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { isPrivateAddress } from './address-policy.js';
import { hostOf } from './webhook-target.js';
import { isIP } from 'node:net';

/** The outcome of one delivery attempt. */
export type SendResult = { ok: true; status: number } | { ok: false; error: string };

/** The Standard Webhooks headers of one message. */
export function signedHeaders(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new StandardWebhook(secret).sign(messageId, at, body),
  };
}

/** A DNS lookup that refuses loopback, private and link-local answers: the connection checks what it really reaches. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as dns.LookupAddress[];
    const blocked = list.find((a) => isPrivateAddress(a.address));
    if (blocked || list.length === 0) {
      return callback(Object.assign(new Error(`${hostname} resolves to a loopback, private or link-local address`), { code: 'EPRIVATE' }), '', 0);
    }
    if (options.all) return callback(null, list as unknown as string, 0);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

/**
 * POSTs `body` to `url` with the signed headers and gives up after `timeoutMs` (the whole
 * exchange, not only the connection), so a receiver that never answers holds one delivery slot
 * for at most that long and nothing else. A 2xx answer is a delivery; anything else is a failure
 * to retry. Redirects are not followed (the answer is a failure).
 */
export function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  { timeoutMs, allowPrivate }: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendResult> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return resolve({ ok: false, error: 'invalid URL' });
    }
    const host = hostOf(url);
    if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
      return resolve({ ok: false, error: 'the URL points to a loopback, private or link-local address' });
    }
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'gpuaas-webhooks', ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: allowPrivate ? undefined : publicOnlyLookup,
        agent: false,
      },
      (res) => {
        // The body is not needed; draining it lets the socket close.
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `HTTP ${status}` });
        });
        res.on('error', (error) => finish({ ok: false, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ ok: false, error: (error as NodeJS.ErrnoException).code === 'EPRIVATE' ? error.message : `${error.message}` }));
    req.end(body);
  });
}
