import { describe, expect, it } from 'vitest';
import { Role } from '../users/user.entity.js';
import { ViewerCache } from './viewer-cache.js';
import type { Viewer } from './viewer.js';

const viewer = (id: string, tokenVersion = 0): Viewer => ({
  id, email: `${id}@lab.example`, role: Role.USER, monthlyGpuHoursLimit: null, createdAt: new Date(0), tokenVersion,
});

describe('the token users cache', () => {
  it('should keep a user for at most its maximum age', () => {
    const cache = new ViewerCache(1000);
    cache.set(viewer('a'), cache.ticket(), 10_000);
    expect(cache.get('a', 10_999)?.id).toBe('a');
    expect(cache.get('a', 11_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('should forget a revoked user at once, and drop everyone on clear', () => {
    const cache = new ViewerCache(60_000);
    cache.set(viewer('a'), cache.ticket());
    cache.set(viewer('b'), cache.ticket());
    cache.forget('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.id).toBe('b');
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });

  it('should not keep what was read before a revocation announced meanwhile', () => {
    const cache = new ViewerCache(60_000);
    const ticket = cache.ticket();
    // The read is in flight when another process's revocation arrives.
    cache.forget('a');
    cache.set(viewer('a', 3), ticket);
    expect(cache.get('a')).toBeUndefined();
    cache.set(viewer('a', 4), cache.ticket());
    expect(cache.get('a')?.tokenVersion).toBe(4);
  });

  it('should keep nothing with a maximum age of 0, and stay within its size', () => {
    const off = new ViewerCache(0);
    off.set(viewer('a'), off.ticket());
    expect(off.get('a')).toBeUndefined();
    const small = new ViewerCache(60_000, 2);
    for (const id of ['a', 'b', 'c']) small.set(viewer(id), small.ticket());
    expect(small.size).toBeLessThanOrEqual(2);
    expect(small.get('c')?.id).toBe('c');
  });

  it('should keep an API token by its hash until its user is forgotten, its age passes or it expires', () => {
    const cache = new ViewerCache(60_000);
    const a = { ...viewer('a'), apiTokenId: 't1', apiTokenExpiresAt: new Date(30_000) };
    const b = { ...viewer('b'), apiTokenId: 't2', apiTokenExpiresAt: null };
    cache.setByApiToken('h1', a, cache.ticket(), 0);
    cache.setByApiToken('h2', b, cache.ticket(), 0);
    expect(cache.getByApiToken('h1', 29_999)?.apiTokenId).toBe('t1');
    expect(cache.getByApiToken('h1', 30_000)).toBeUndefined();
    expect(cache.getByApiToken('h2', 59_999)?.apiTokenId).toBe('t2');
    cache.forget('b');
    expect(cache.getByApiToken('h2', 1)).toBeUndefined();
    cache.setByApiToken('h2', b, cache.ticket(), 0);
    cache.clear();
    expect(cache.getByApiToken('h2', 1)).toBeUndefined();
  });

  it('should not keep an API token read before a revocation announced meanwhile', () => {
    const cache = new ViewerCache(60_000);
    const ticket = cache.ticket();
    cache.forget('a');
    cache.setByApiToken('h1', { ...viewer('a'), apiTokenId: 't1' }, ticket);
    expect(cache.getByApiToken('h1')).toBeUndefined();
  });
});
