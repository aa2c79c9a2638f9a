import ltrStylesheet from 'bootstrap/dist/css/bootstrap.min.css?url';
import rtlStylesheet from 'bootstrap/dist/css/bootstrap.rtl.min.css?url';
import { watch } from 'vue';
import { currentDir, currentLocale } from './index';

const LINK_ID = 'bootstrap-stylesheet';

let pending: HTMLLinkElement | null = null;

/** Points the page's Bootstrap stylesheet at the LTR or RTL build; resolves once it has loaded. */
function loadStylesheet(href: string): Promise<void> {
  const current = document.getElementById(LINK_ID) as HTMLLinkElement | null;
  if (current?.getAttribute('href') === href && !pending) return Promise.resolve();
  // A quicker second switch wins: the sheet still loading for the first is dropped.
  pending?.remove();
  const next = document.createElement('link');
  next.rel = 'stylesheet';
  next.href = href;
  pending = next;
  const loaded = new Promise<void>((resolve) => {
    next.addEventListener('load', () => resolve());
    next.addEventListener('error', () => resolve());
    setTimeout(resolve, 3000);
  });
  // The old sheet stays until the new one has loaded, so the page never shows unstyled.
  document.head.prepend(next);
  return loaded.then(() => {
    if (pending !== next) return;
    pending = null;
    current?.remove();
    next.id = LINK_ID;
  });
}

/** Sets `<html lang dir>` and the Bootstrap build for the language, now and on every switch. */
export function followDocumentLanguage(): Promise<void> {
  const apply = () => {
    document.documentElement.lang = currentLocale.value;
    document.documentElement.dir = currentDir.value;
    return loadStylesheet(currentDir.value === 'rtl' ? rtlStylesheet : ltrStylesheet);
  };
  watch([currentLocale, currentDir], () => void apply());
  return apply();
}
