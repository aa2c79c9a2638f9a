import { onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue';
import { apolloClient } from '../../apollo/client';
import { problemOf, type OperationProblem } from '../../apollo/errors';
import { UtilizationDocument } from '../../generated/graphql';
import { utilizationWindow, type UtilizationPoint, type UtilizationRange } from './utilization';

/** Pool changes refetch at most this often: a busy cluster changes every second. */
export const UTILIZATION_MIN_INTERVAL_MS = 5_000;
/** Refetched this often anyway, so the window moves on while nothing changes. */
export const UTILIZATION_REFRESH_MS = 60_000;

/**
 * The utilization of the last `range` (one type, or all when `gpuType` is empty), fetched again
 * when the range or type changes, when `poolChanges` moves (throttled) and every minute. Each
 * fetch asks for the window ending now, so it is never served from the cache.
 */
export function useUtilization(range: Ref<UtilizationRange>, gpuType: Ref<string>, poolChanges: Ref<number>) {
  const points = shallowRef<readonly UtilizationPoint[]>([]);
  const problem = shallowRef<OperationProblem | null>(null);
  const loading = ref(true);
  let sequence = 0;
  let lastLoad = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    clearTimeout(pending);
    pending = undefined;
    lastLoad = Date.now();
    const mine = (sequence += 1);
    loading.value = true;
    try {
      const result = await apolloClient.query({
        query: UtilizationDocument,
        variables: { ...utilizationWindow(range.value, new Date()), gpuType: gpuType.value || null },
        fetchPolicy: 'no-cache',
      });
      // An answer to an older question (another range, or overtaken) is dropped.
      if (mine !== sequence) return;
      if (result.error) throw result.error;
      points.value = result.data?.utilization ?? [];
      problem.value = null;
    } catch (error) {
      if (mine === sequence) problem.value = problemOf(error);
    } finally {
      if (mine === sequence) loading.value = false;
    }
  }

  function loadSoon(): void {
    if (pending !== undefined) return;
    pending = setTimeout(() => void load(), Math.max(0, lastLoad + UTILIZATION_MIN_INTERVAL_MS - Date.now()));
  }

  watch([range, gpuType], () => void load(), { immediate: true });
  watch(poolChanges, loadSoon);
  const timer = setInterval(() => void load(), UTILIZATION_REFRESH_MS);
  onScopeDispose(() => {
    clearInterval(timer);
    clearTimeout(pending);
    sequence += 1;
  });

  return { points, problem, loading, refresh: load };
}
