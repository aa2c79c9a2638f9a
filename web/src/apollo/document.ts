import { gql, type OperationVariables, type TypedDocumentNode } from '@apollo/client';

/**
 * Turns the text of `.graphql` files (imported with Vite's `?raw`) into one typed document.
 * Pass the operation first and then every fragment it spreads; the result and variable types
 * are the hand-written ones in the feature's `types.ts`.
 */
export function typedDocument<TData, TVariables extends OperationVariables = Record<string, never>>(
  ...sources: string[]
): TypedDocumentNode<TData, TVariables> {
  return gql(sources.join('\n')) as TypedDocumentNode<TData, TVariables>;
}
