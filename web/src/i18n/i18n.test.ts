import { afterEach, describe, expect, it } from 'vitest';
import { currentDir, formatClock, formatMonth, formatOrdinal, setLocale, t } from './index';
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

  it('should write ordinals by the rules of each language', () => {
    expect([1, 2, 3, 4, 10, 11, 12, 13, 21, 22, 23, 101, 111, 1002].map(formatOrdinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '10th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '111th', '1002nd',
    ]);
    setLocale('fa');
    expect([1, 2, 3, 10, 11, 1002].map(formatOrdinal)).toEqual(['اولین', 'دومین', 'سومین', 'دهمین', '۱۱مین', '۱۰۰۲مین']);
  });

  it('should give a time of today as a clock time, and another day with its date', () => {
    const now = new Date('2025-12-03T23:30:00Z');
    const plain = (text: string) => text.replace(/\s/g, ' ');
    expect(plain(formatClock('2025-12-03T08:05:00Z', now, 'UTC'))).toBe('8:05 AM');
    expect(plain(formatClock('2025-12-04T00:15:00Z', now, 'UTC'))).toBe('Dec 4, 12:15 AM');
    // Whether it is today is judged where the time is shown: in Tehran both are on the 4th.
    expect(plain(formatClock('2025-12-04T00:15:00Z', now, 'Asia/Tehran'))).toBe('3:45 AM');
    setLocale('fa');
    expect(formatClock('2025-12-03T08:05:00Z', now, 'UTC')).toBe('۸:۰۵');
  });

  it('should name the quota month in the Gregorian calendar', () => {
    expect(formatMonth('2025-11')).toBe('November 2025');
  });
});
