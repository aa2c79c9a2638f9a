import { watch } from 'vue';
import { apolloClient } from '../../apollo/client';
import { MeDocument } from '../../generated/graphql';
import { session, updateSessionUser } from './session';

/**
 * Asks the server who the stored token belongs to, at start and after each login: a role
 * changed meanwhile shows at once, and a token the server no longer accepts ends the session
 * (the error link sees the UNAUTHENTICATED answer).
 */
export function useSessionCheck(): void {
  watch(
    () => session.token,
    (token) => {
      if (!token) return;
      apolloClient
        .query({ query: MeDocument, fetchPolicy: 'network-only' })
        .then((result) => {
          if (result.data && session.token === token) updateSessionUser(result.data.me);
        })
        .catch(() => undefined);
    },
    { immediate: true },
  );
}
