import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apolloClient } from '../../apollo/client';
import { SchedulerSettingsDocument, type SchedulerSettingsQuery } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import { refuseRequests } from '../../test-support/no-api';
import SchedulerSettingsCard from './SchedulerSettingsCard.vue';

/** Puts the settings where the card reads them, as the API's answer (or a save) leaves them. */
function store(settings: SchedulerSettingsQuery['schedulerSettings']): void {
  // The typename the API adds, which the generated types leave out.
  const schedulerSettings = { __typename: 'SchedulerSettings', ...settings } as SchedulerSettingsQuery['schedulerSettings'];
  apolloClient.cache.writeQuery({ query: SchedulerSettingsDocument, data: { schedulerSettings } });
}

const mounted: { unmount(): void }[] = [];

async function mountCard() {
  const wrapper = mount(SchedulerSettingsCard);
  mounted.push(wrapper);
  await flushPromises();
  return wrapper;
}

const radio = (wrapper: Awaited<ReturnType<typeof mountCard>>, mode: string) => wrapper.get<HTMLInputElement>(`[data-testid="scheduler-mode-${mode}"]`).element;

describe('SchedulerSettingsCard', () => {
  beforeAll(refuseRequests);
  afterEach(() => {
    for (const wrapper of mounted.splice(0)) wrapper.unmount();
    setLocale('en');
  });

  it('should show the stored settings: the mode checked, the auto-approval limit and the backfill switch', async () => {
    store({ mode: 'AUTO', autoApproveMaxGpuHours: 12.5, backfill: false });
    const wrapper = await mountCard();
    expect(wrapper.get('[data-testid="scheduler-settings"]').attributes('data-mode')).toBe('AUTO');
    expect([radio(wrapper, 'MANUAL').checked, radio(wrapper, 'AUTO').checked]).toEqual([false, true]);
    expect(wrapper.get<HTMLInputElement>('[data-testid="scheduler-auto-approve"]').element.value).toBe('12.5');
    expect(wrapper.get<HTMLInputElement>('[data-testid="scheduler-backfill"]').element.checked).toBe(false);
    expect(wrapper.get('[data-testid="scheduler-save"]').attributes('disabled')).toBeUndefined();
  });

  it('should name every control, each mode with its help, in English and Persian', async () => {
    store({ mode: 'MANUAL', autoApproveMaxGpuHours: 0, backfill: true });
    const wrapper = await mountCard();
    const labelOf = (id: string) => wrapper.get(`label[for="${id}"]`).text();
    expect(labelOf('scheduler-mode-MANUAL')).toBe('Manual');
    expect(labelOf('scheduler-mode-AUTO')).toBe('Automatic');
    expect(labelOf('scheduler-auto-approve')).toBe('Approve automatically up to');
    expect(labelOf('scheduler-backfill')).toBe('Backfill');
    expect(wrapper.get('legend').text()).toBe('Mode');
    const help = wrapper.get(`#${radio(wrapper, 'AUTO').getAttribute('aria-describedby')}`).text();
    expect(help).toBe('The scheduler starts the head of each queue as soon as its GPUs are free.');
    setLocale('fa');
    await flushPromises();
    expect([labelOf('scheduler-mode-MANUAL'), labelOf('scheduler-mode-AUTO')]).toEqual(['دستی', 'خودکار']);
    expect(wrapper.get('h2').text()).toBe('زمان‌بند');
  });

  it('should refuse a negative or empty limit in words, before sending anything', async () => {
    store({ mode: 'MANUAL', autoApproveMaxGpuHours: 0, backfill: true });
    const wrapper = await mountCard();
    const hours = wrapper.get('[data-testid="scheduler-auto-approve"]');
    for (const value of ['-1', '']) {
      await hours.setValue(value);
      await wrapper.get('[data-testid="scheduler-form"]').trigger('submit');
      expect(wrapper.get('[data-testid="scheduler-auto-approve-error"]').text()).toBe('Enter 0 or more GPU-hours.');
      expect(hours.attributes('aria-invalid')).toBe('true');
      expect(wrapper.get('[data-testid="scheduler-saved"]').text()).toBe('');
    }
    // Nothing was sent: a request would have failed here, and the card would say so.
    expect(wrapper.find('[data-testid="scheduler-error"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="scheduler-save"]').attributes('disabled')).toBeUndefined();
  });
});
