import { computed } from 'vue';
import { useQuery } from '../../apollo/composables';
import { SchedulerSettingsDocument, type SchedulingMode } from '../../generated/graphql';

/**
 * The scheduler's mode, which decides how a job ready to start is described (an admin starts it,
 * or the scheduler is starting it); null until known. `refetch` follows a change of settings.
 */
export function useSchedulingMode() {
  const query = useQuery(SchedulerSettingsDocument);
  return {
    mode: computed<SchedulingMode | null>(() => query.data.value?.schedulerSettings.mode ?? null),
    refetch: query.refetch,
  };
}
