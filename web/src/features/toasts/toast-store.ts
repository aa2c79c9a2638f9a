import { reactive } from 'vue';

/** How a toast looks: the colour goes with a title and an icon, never alone. */
export type ToastTone = 'info' | 'success' | 'warning' | 'danger';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  body: string;
  /** Where the toast leads, when it is about one thing (a job). */
  to?: string;
}

const DEFAULT_LIFETIME_MS = 7000;
const MAX_TOASTS = 5;
let nextId = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

/** The toasts on screen, oldest first. */
export const toasts = reactive<Toast[]>([]);

/** Shows a toast for a few seconds; returns its id. */
export function pushToast(toast: Omit<Toast, 'id'>, lifetimeMs = DEFAULT_LIFETIME_MS): number {
  const id = nextId++;
  toasts.push({ ...toast, id });
  while (toasts.length > MAX_TOASTS) dismissToast(toasts[0]!.id);
  if (lifetimeMs > 0) timers.set(id, setTimeout(() => dismissToast(id), lifetimeMs));
  return id;
}

export function dismissToast(id: number): void {
  clearTimeout(timers.get(id));
  timers.delete(id);
  const index = toasts.findIndex((toast) => toast.id === id);
  if (index >= 0) toasts.splice(index, 1);
}

/** Keeps a toast on screen while the pointer or focus is on it. */
export function holdToast(id: number): void {
  clearTimeout(timers.get(id));
  timers.delete(id);
}

export function releaseToast(id: number, lifetimeMs = DEFAULT_LIFETIME_MS): void {
  if (!toasts.some((toast) => toast.id === id) || timers.has(id)) return;
  timers.set(id, setTimeout(() => dismissToast(id), lifetimeMs));
}
