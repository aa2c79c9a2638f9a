import { afterEach, describe, expect, it } from 'vitest';
import { currentDir, formatMonth, setLocale, t } from './index';
import { en } from './messages.en';
import { fa } from './messages.fa';

describe('i18n', () => {
  afterEach(() => setLocale('en'));

  it('should have a Persian message for every English one, with the same placeholders', () => {
    expect(Object.keys(fa).sort()).toEqual(Object.keys(en).sort());
    const placeholders = (text: string) => [...new Set(text.match(/\{\w+\}/g) ?? [])].sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(fa[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('should fill placeholders and pick plurals', () => {
    expect(t('quota.remaining', { remaining: 12.5 })).toBe('12.5 remaining');
    expect(t('dashboard.jobCount', { count: 1 })).toBe('1 job');
    expect(t('dashboard.jobCount', { count: 3 })).toBe('3 jobs');
  });

  it('should switch language and direction, and remember the choice', () => {
    setLocale('fa');
    expect(currentDir.value).toBe('rtl');
    expect(t('nav.logout')).toBe('خروج');
    expect(localStorage.getItem('gpuaas.locale')).toBe('fa');
    setLocale('en');
    expect(currentDir.value).toBe('ltr');
  });

  it('should name the quota month in the Gregorian calendar', () => {
    expect(formatMonth('2025-11')).toBe('November 2025');
  });
});
