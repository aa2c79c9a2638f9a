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

/**
 * Formats a moment as a clock time ("4:40 PM"), with the date in front when it is not on the
 * same calendar day as `now` ("Dec 3, 4:40 PM"), in the current language's calendar and digits.
 * "Same day" is judged in `timeZone` (the user's own unless given), the zone the time is shown in.
 */
export function formatClock(iso: string, now: Date = new Date(), timeZone?: string): string {
  const intl = localeInfo(state.locale).intl;
  const moment = new Date(iso);
  const day = new Intl.DateTimeFormat(intl, { year: 'numeric', month: 'numeric', day: 'numeric', timeZone });
  const options: Intl.DateTimeFormatOptions =
    day.format(moment) === day.format(now)
      ? { hour: 'numeric', minute: '2-digit', timeZone }
      : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone };
  return new Intl.DateTimeFormat(intl, options).format(moment);
}

/**
 * A place in a line as an ordinal adjective: "3rd", "سومین". The first ten are words of the
 * catalogue (Persian writes them as words); later places take the suffix that the language's
 * ordinal plural rules pick ("21st", "22nd"; "۲۱مین").
 */
export function formatOrdinal(place: number): string {
  if (Number.isInteger(place) && place >= 1 && place <= 10) return t(`ordinal.${place}` as MessageKey);
  const category = new Intl.PluralRules(localeInfo(state.locale).intl, { type: 'ordinal' }).select(place);
  const key: MessageKey = category === 'one' || category === 'two' || category === 'few' ? `ordinal.${category}` : 'ordinal.other';
  // The digits go in unseparated: "1,001st" reads worse than "1001st".
  return t(key, { n: new Intl.NumberFormat(localeInfo(state.locale).intl, { useGrouping: false }).format(place) });
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
  return { t, locale: currentLocale, dir: currentDir, setLocale, formatNumber, formatDateTime, formatMonth, formatClock, formatOrdinal };
}

export type { MessageKey };
