import { computed, reactive } from 'vue';
import { en, type MessageKey } from './messages.en';
import { fa } from './messages.fa';

/** The languages of the UI. Persian is written right to left. */
export type Locale = 'en' | 'fa';
export const LOCALES: readonly { code: Locale; name: string; dir: 'ltr' | 'rtl'; intl: string }[] = [
  { code: 'en', name: 'English', dir: 'ltr', intl: 'en-US' },
  { code: 'fa', name: 'فارسی', dir: 'rtl', intl: 'fa-IR' },
];

const STORAGE_KEY = 'gpuaas.locale';
const catalogues: Record<Locale, Record<MessageKey, string>> = { en, fa };

function storedLocale(): Locale {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'fa' || value === 'en' ? value : 'en';
  } catch {
    return 'en';
  }
}

const state = reactive({ locale: storedLocale() });

export type MessageParams = Readonly<Record<string, string | number>>;

function localeInfo(locale: Locale) {
  return LOCALES.find((l) => l.code === locale)!;
}

/** Formats a number for the current language (Persian digits in Persian), at most 2 decimals. */
export function formatNumber(value: number, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(localeInfo(state.locale).intl, { maximumFractionDigits }).format(value);
}

/** Formats an ISO date-time for the current language; `short` leaves out the year, for tables. */
export function formatDateTime(iso: string | null | undefined, style: 'medium' | 'short' = 'medium'): string {
  if (!iso) return '';
  const options: Intl.DateTimeFormatOptions =
    style === 'short' ? { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(localeInfo(state.locale).intl, options).format(new Date(iso));
}

/** Formats a quota month (`YYYY-MM`, UTC) as its name: the Gregorian month the quota counts. */
export function formatMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  if (!year || !monthNumber) return month;
  return new Intl.DateTimeFormat(localeInfo(state.locale).intl, { month: 'long', year: 'numeric', calendar: 'gregory', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year, monthNumber - 1, 1)),
  );
}

/** The message `key` in the current language, with `{name}` placeholders filled (numbers formatted). */
export function t(key: MessageKey, params: MessageParams = {}): string {
  let template: string = catalogues[state.locale][key] ?? en[key];
  if (template.includes('|')) {
    // "one|other": chosen by the plural rules of the language for `count`.
    const [one, other] = template.split('|') as [string, string];
    const count = Number(params.count);
    template = new Intl.PluralRules(localeInfo(state.locale).intl).select(count) === 'one' ? one : other;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** Switches the language and remembers it. */
export function setLocale(locale: Locale): void {
  state.locale = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // storage disabled: the choice lasts as long as the page
  }
}

export const currentLocale = computed(() => state.locale);
export const currentDir = computed(() => localeInfo(state.locale).dir);

/** What components use: `t`, the language and direction, and the formatters. */
export function useI18n() {
  return { t, locale: currentLocale, dir: currentDir, setLocale, formatNumber, formatDateTime, formatMonth };
}

export type { MessageKey };
