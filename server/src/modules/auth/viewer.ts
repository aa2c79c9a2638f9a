import { Role } from '../users/user.entity.js';
import type { UserRecord } from '../users/user.queries.js';
import { authErrors } from './auth.errors.js';

/** The authenticated user making a request, as read from the database for that request. */
export interface Viewer extends UserRecord {
  /** The user's token version the request was authenticated with. */
  tokenVersion: number;
  /** Set when the request was authenticated by an API token (not a login): that token's id. */
  apiTokenId?: string;
  /** That API token's expiry (null: never). */
  apiTokenExpiresAt?: Date | null;
}

/** Returns the viewer, or fails with UNAUTHENTICATED when the request carries no valid token. */
export function requireViewer(viewer: Viewer | null): Viewer {
  if (viewer === null) throw authErrors.unauthenticated();
  return viewer;
}

/** Returns the viewer if an admin; UNAUTHENTICATED without a token, FORBIDDEN for a plain user. */
export function requireAdmin(viewer: Viewer | null): Viewer {
  const v = requireViewer(viewer);
  if (v.role !== Role.ADMIN) throw authErrors.adminOnly();
  return v;
}

export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === Role.ADMIN;
}
