import { onScopeDispose } from 'vue';
import { useSubscription } from '../../apollo/composables';
import { socketGeneration } from '../../apollo/socket';
import { PoolsChangedDocument, QueueChangedDocument } from '../../generated/graphql';
import { isAuthenticated } from '../auth/session';

/** How long messages are gathered before one refresh: a start moves a queue and its pool together. */
export const ESTIMATE_REFRESH_DELAY_MS = 250;

/**
 * Calls `refresh` with the GPU types whose estimates may have moved, for as long as the calling
 * view lives. Estimates move without any change to the viewer's own jobs (another user's job
 * starts or ends), so the view cannot wait for `jobStatusChanged`: it follows `queueChanged`
 * (the plan of those types changed) and `clusterChanged` (free GPUs, which the reasons quote).
 * Messages close together are merged into one call, so a burst refetches once.
 */
export function useEstimateChanges(refresh: (gpuTypes: ReadonlySet<string>) => void): void {
  let gathered = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function gather(gpuTypes: readonly string[]): void {
    for (const gpuType of gpuTypes) gathered.add(gpuType);
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      const batch = gathered;
      gathered = new Set();
      timer = undefined;
      refresh(batch);
    }, ESTIMATE_REFRESH_DELAY_MS);
  }

  const options = { active: () => isAuthenticated.value, restartKey: () => socketGeneration.value };
  useSubscription(QueueChangedDocument, (data) => gather(data.queueChanged.gpuTypes), options);
  useSubscription(PoolsChangedDocument, (data) => gather(data.clusterChanged.map((pool) => pool.gpuType)), options);
  onScopeDispose(() => clearTimeout(timer));
}
