import { CloseCode } from 'graphql-ws';

/**
 * Every code with which the server closes a GraphQL WebSocket, in one place. graphql-ws owns
 * 4400–4499 and 4500–4599 (its `CloseCode`, see its PROTOCOL.md); gpuaas's own codes are in
 * 4100–4199, so a client never reads one of ours as a protocol error.
 */
export const WebSocketCloseCode = {
  /** The process is shutting down (SIGTERM); clients reconnect, to another replica if there is one. */
  GoingAway: 1001,
  /** A frame over `MAX_WS_MESSAGE_BYTES`, refused by `ws` before it is read. */
  MessageTooBig: 1009,
  /** graphql-ws: a frame that is not a valid message of the protocol. */
  BadRequest: CloseCode.BadRequest,
  /** graphql-ws: a subscribe before the connection was acknowledged. */
  Unauthorized: CloseCode.Unauthorized,
  /**
   * No valid token at connection_init, or one revoked later (sign-out everywhere, a new
   * password, a new role, or a deleted user). graphql-ws's own code for a refused connection:
   * the web app ends its session on it.
   */
  Forbidden: CloseCode.Forbidden,
  /** graphql-ws: the client asked for another subprotocol than `graphql-transport-ws`. */
  SubprotocolNotAcceptable: CloseCode.SubprotocolNotAcceptable,
  /** graphql-ws: no connection_init within `CONNECTION_INIT_TIMEOUT_MS`. */
  ConnectionInitialisationTimeout: CloseCode.ConnectionInitialisationTimeout,
  /** graphql-ws: a subscribe that reuses the id of a live subscription. */
  SubscriberAlreadyExists: CloseCode.SubscriberAlreadyExists,
  /** graphql-ws: a second connection_init on one socket. */
  TooManyInitialisationRequests: CloseCode.TooManyInitialisationRequests,
  /** graphql-ws: an unexpected error while handling a message. */
  InternalServerError: CloseCode.InternalServerError,
  /** gpuaas: the user already holds `WS_CONNECTIONS_PER_USER` open sockets on this process. */
  TooManyConnections: 4129,
} as const;
