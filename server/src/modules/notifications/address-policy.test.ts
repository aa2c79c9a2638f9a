import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from './address-policy.js';
import { parseWebhookUrl, refuseTarget } from './webhook-target.js';
import { postWebhook } from './webhook-sender.js';

describe('isPrivateAddress', () => {
  it('should refuse loopback, private, link-local and other non-public addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
      '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::2', '::ffff:127.0.0.1', '::ffff:10.1.1.1', '[::1]', 'not-an-ip']) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
  });

  it('should allow public addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });
});

describe('webhook targets', () => {
  it('should accept only absolute http and https URLs without credentials', () => {
    expect(parseWebhookUrl('https://hooks.example.org/x')).toBeInstanceOf(URL);
    expect(parseWebhookUrl('ftp://example.org')).toBe('must be an absolute http:// or https:// URL');
    expect(parseWebhookUrl('/relative')).toBe('must be an absolute http:// or https:// URL');
    expect(parseWebhookUrl('https://a:b@example.org')).toBe('must not contain a user name or password');
    expect(parseWebhookUrl(`https://example.org/${'x'.repeat(2000)}`)).toBe('must be at most 2000 characters');
  });

  it('should refuse a name that resolves to loopback unless private targets are allowed', async () => {
    expect(await refuseTarget(new URL('http://localhost:1/x'), false)).toMatch(/loopback, private or link-local/);
    expect(await refuseTarget(new URL('http://127.0.0.1:1/x'), false)).toMatch(/loopback, private or link-local/);
    expect(await refuseTarget(new URL('http://localhost:1/x'), true)).toBeNull();
  });

  it('should refuse at delivery time a URL that now points to a private address, without connecting', async () => {
    const ip = await postWebhook('http://127.0.0.1:9/x', {}, '{}', { timeoutMs: 1000, allowPrivate: false });
    expect(ip).toEqual({ ok: false, error: 'the URL points to a loopback, private or link-local address' });
    const name = await postWebhook('http://localhost:9/x', {}, '{}', { timeoutMs: 1000, allowPrivate: false });
    expect(name.ok).toBe(false);
    expect(!name.ok && name.error).toMatch(/loopback, private or link-local/);
  });
});
