import type {
  ErrorLike,
  ObservableQuery,
  OperationVariables,
  TypedDocumentNode,
  WatchQueryFetchPolicy,
} from '@apollo/client';
import { onScopeDispose, ref, shallowRef, toValue, watch, type MaybeRefOrGetter, type Ref, type ShallowRef } from 'vue';
import { apolloClient } from './client';

/** A live query: `data` follows the cache, so subscription events and mutations show at once. */
export interface QueryState<TData, TVariables extends OperationVariables> {
  data: ShallowRef<TData | undefined>;
  error: ShallowRef<ErrorLike | undefined>;
  loading: Ref<boolean>;
  refetch: () => Promise<unknown>;
  /** Loads the next page of a connection (`after`), merged by the cache's field policy. */
  fetchMore: (variables: Partial<TVariables>) => Promise<unknown>;
  observable: ObservableQuery<TData, TVariables>;
}

/**
 * Watches `document` with reactive `variables` for as long as the calling component (or effect
 * scope) lives. Variables that change refetch.
 */
export function useQuery<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables?: MaybeRefOrGetter<NoInfer<TVariables>>,
  options: { fetchPolicy?: WatchQueryFetchPolicy } = {},
): QueryState<TData, TVariables> {
  const data = shallowRef<TData>();
  const error = shallowRef<ErrorLike>();
  const loading = ref(true);
  const observable = apolloClient.watchQuery<TData, TVariables>({
    query: document,
    variables: toValue(variables),
    fetchPolicy: options.fetchPolicy ?? 'cache-and-network',
    nextFetchPolicy: 'cache-first',
  } as ObservableQuery.Options<TData, TVariables>);
  const subscription = observable.subscribe((result) => {
    if (result.data !== undefined) data.value = result.data as TData;
    error.value = result.error;
    loading.value = result.loading;
  });
  watch(
    () => toValue(variables),
    (next) => {
      if (next) void observable.setVariables(next).catch(() => undefined);
    },
    { deep: true },
  );
  onScopeDispose(() => subscription.unsubscribe());
  return {
    data,
    error,
    loading,
    observable,
    refetch: () => observable.refetch().catch(() => undefined),
    fetchMore: (more) =>
      observable.fetchMore({ variables: more } as Parameters<typeof observable.fetchMore>[0]).catch(() => undefined),
  };
}

/** A mutation with its own `loading` and last `error`. */
export interface MutationState<TData, TVariables extends OperationVariables> {
  loading: Ref<boolean>;
  error: ShallowRef<ErrorLike | null>;
  /** Runs the mutation: its data, or null after an error (then in `error`). */
  mutate: (variables: TVariables) => Promise<TData | null>;
}

export function useMutation<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
): MutationState<TData, TVariables> {
  const loading = ref(false);
  const error = shallowRef<ErrorLike | null>(null);
  async function mutate(variables: TVariables): Promise<TData | null> {
    loading.value = true;
    error.value = null;
    try {
      const result = await apolloClient.mutate<TData, TVariables>({ mutation: document, variables } as Parameters<
        typeof apolloClient.mutate<TData, TVariables>
      >[0]);
      if (result.error) throw result.error;
      return (result.data ?? null) as TData | null;
    } catch (caught) {
      error.value = caught as ErrorLike;
      return null;
    } finally {
      loading.value = false;
    }
  }
  return { loading, error, mutate };
}

/**
 * Runs a subscription while `active()` is true and restarts it whenever `restartKey()` changes
 * (a new socket). Each result goes to `onData`; the cache is left to the caller.
 */
export function useSubscription<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  onData: (data: TData) => void,
  options: { active: () => boolean; restartKey: () => unknown; variables?: TVariables },
): void {
  let stop: (() => void) | null = null;
  watch(
    () => [options.active(), options.restartKey()] as const,
    ([active]) => {
      stop?.();
      stop = null;
      if (!active) return;
      const subscription = apolloClient
        .subscribe<TData, TVariables>({
          query: document,
          variables: options.variables,
          fetchPolicy: 'no-cache',
          context: { queryDeduplication: false },
        } as Parameters<typeof apolloClient.subscribe<TData, TVariables>>[0])
        .subscribe({
          next: (result) => {
            if (result.data) onData(result.data as TData);
          },
          // The socket layer reconnects and bumps the restart key; nothing to do here.
          error: () => undefined,
        });
      stop = () => subscription.unsubscribe();
    },
    { immediate: true },
  );
  onScopeDispose(() => stop?.());
}
