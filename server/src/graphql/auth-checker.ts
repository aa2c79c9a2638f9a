import type { AuthChecker } from 'type-graphql';
import { requireAdmin, requireViewer } from '../modules/auth/viewer.js';
import type { GraphQLContext } from './context.js';

/**
 * `@Authorized()` needs a signed-in viewer; `@Authorized('ADMIN')` an admin. It throws the
 * module's errors itself so the codes are UNAUTHENTICATED and FORBIDDEN, never a generic one.
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  if (roles.includes('ADMIN')) requireAdmin(context.viewer);
  else requireViewer(context.viewer);
  return true;
};
