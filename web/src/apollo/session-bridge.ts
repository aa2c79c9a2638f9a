import { watch } from 'vue';
import { endSession, session } from '../features/auth/session';
import { apolloClient } from './client';
import { closeSocket, onSocketRejected, openSocket } from './socket';

/**
 * Ties the Apollo layer to the session: the socket opens after login with the token, reopens
 * when the token changes and closes on logout; logout forgets every cached answer; a socket
 * the server refuses (4403) ends the session as expired.
 */
export function connectApolloToSession(): void {
  watch(
    () => session.token,
    (token, previous) => {
      if (token) {
        openSocket(token);
      } else {
        closeSocket();
      }
      // Another user's data (or none) from now on: nothing cached may show.
      if (previous && token !== previous) void apolloClient.clearStore();
    },
    { immediate: true },
  );
  onSocketRejected(() => endSession('expired'));
}
