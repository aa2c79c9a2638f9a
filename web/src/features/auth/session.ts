import { computed, reactive } from 'vue';
import type { Role } from '../../generated/graphql';

/** The signed-in user as the app remembers it between reloads. */
export interface SessionUser {
  id: string;
  email: string;
  role: Role;
}

/** Why the user is on the login page without having asked to be. */
export type SessionNotice = 'expired' | 'signedOut';

const TOKEN_KEY = 'gpuaas.token';
const USER_KEY = 'gpuaas.user';

function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: the session lasts as long as the page
  }
}

function writeStorage(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled or full: keep the in-memory session
  }
}

function readUser(): SessionUser | null {
  const raw = readStorage(USER_KEY);
  if (!raw) return null;
  try {
    const user = JSON.parse(raw) as Partial<SessionUser>;
    if (typeof user.id === 'string' && typeof user.email === 'string' && (user.role === 'USER' || user.role === 'ADMIN')) {
      return { id: user.id, email: user.email, role: user.role };
    }
  } catch {
    // a damaged entry is treated as no session
  }
  return null;
}

const storedToken = readStorage(TOKEN_KEY);
const storedUser = readUser();

/**
 * The one session of the app: the JWT and who it belongs to, kept in localStorage so a reload
 * stays signed in. The Apollo layer watches `token` to open, reopen and close the WebSocket.
 */
export const session = reactive({
  token: storedToken && storedUser ? storedToken : null,
  user: storedToken && storedUser ? storedUser : null,
  notice: null as SessionNotice | null,
});

export const isAuthenticated = computed(() => session.token !== null);
export const isAdmin = computed(() => session.user?.role === 'ADMIN');

/** Signs in: remembers the token and the user. */
export function startSession(token: string, user: SessionUser): void {
  session.token = token;
  session.user = { id: user.id, email: user.email, role: user.role };
  session.notice = null;
  writeStorage(TOKEN_KEY, token);
  writeStorage(USER_KEY, JSON.stringify(session.user));
}

/** Refreshes what is known about the signed-in user (its role may have changed). */
export function updateSessionUser(user: SessionUser): void {
  if (!session.token) return;
  session.user = { id: user.id, email: user.email, role: user.role };
  writeStorage(USER_KEY, JSON.stringify(session.user));
}

/** Signs out, or records that the server no longer accepts the token. Idempotent. */
export function endSession(notice: SessionNotice | null = null): void {
  if (session.token === null) return;
  session.token = null;
  session.user = null;
  session.notice = notice;
  writeStorage(TOKEN_KEY, null);
  writeStorage(USER_KEY, null);
}

/** Keeps tabs in step: signing out (or in) in one tab does the same in the others. */
export function followSessionInOtherTabs(): void {
  window.addEventListener('storage', (event) => {
    if (event.key !== TOKEN_KEY && event.key !== USER_KEY) return;
    const token = readStorage(TOKEN_KEY);
    const user = readUser();
    if (token && user) {
      if (token !== session.token) startSession(token, user);
    } else {
      endSession('signedOut');
    }
  });
}
