import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CreateJobInput, GpuPoolFieldsFragment, QuotaFieldsFragment } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import JobSubmitForm, { type SubmitOutcome } from './JobSubmitForm.vue';

const quota = (remaining: number, limit = 100): QuotaFieldsFragment => ({
  month: '2025-11',
  limitGpuHours: limit,
  usedGpuHours: limit - remaining,
  remainingGpuHours: remaining,
});

function mountForm(remaining = 100, submit = vi.fn(async (_input: CreateJobInput): Promise<SubmitOutcome> => ({ ok: true }))) {
  const wrapper = mount(JobSubmitForm, {
    props: { gpuTypes: ['A100', 'H100', 'L40S'], quota: quota(remaining), submit },
    attachTo: document.body,
  });
  return { wrapper, submit };
}

describe('JobSubmitForm', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('should preview the cost as GPUs × hours and what would remain', async () => {
    const { wrapper } = mountForm(100);
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('4');
    await wrapper.get('[data-testid="submit-hours"]').setValue('6');
    expect(wrapper.get('[data-testid="cost-gpu-hours"]').text()).toBe('4 × 6 h = 24 GPU-hours');
    expect(wrapper.get('[data-testid="cost-preview"]').attributes('data-gpu-hours')).toBe('24');
    expect(wrapper.get('[data-testid="cost-remaining-after"]').text()).toBe('76 of 100 GPU-hours would remain this month.');
  });

  it('should preview fractional hours', async () => {
    const { wrapper } = mountForm(100);
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('3');
    await wrapper.get('[data-testid="submit-hours"]').setValue('1.5');
    expect(wrapper.get('[data-testid="cost-gpu-hours"]').text()).toBe('3 × 1.5 h = 4.5 GPU-hours');
  });

  it('should refuse a job that cannot fit before sending, naming the remaining hours', async () => {
    const { wrapper, submit } = mountForm(10);
    await wrapper.get('[data-testid="submit-name"]').setValue('big run');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('8');
    await wrapper.get('[data-testid="submit-hours"]').setValue('2');
    const warning = wrapper.get('[data-testid="quota-error"]');
    expect(warning.text()).toContain('This job needs 16 GPU-hours but only 10 remain this month.');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).not.toHaveBeenCalled();
  });

  it('should accept a job that uses exactly what remains', async () => {
    const { wrapper, submit } = mountForm(16);
    await wrapper.get('[data-testid="submit-name"]').setValue('exact fit');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('8');
    await wrapper.get('[data-testid="submit-hours"]').setValue('2');
    expect(wrapper.find('[data-testid="quota-error"]').exists()).toBe(false);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).toHaveBeenCalledWith({ name: 'exact fit', gpuType: 'A100', gpuCount: 8, hours: 2 });
  });

  it('should validate as you type, with each message tied to its input', async () => {
    const { wrapper } = mountForm();
    const name = wrapper.get('[data-testid="submit-name"]');
    expect(name.classes()).not.toContain('is-invalid');
    await name.setValue('x');
    await name.setValue('');
    expect(name.classes()).toContain('is-invalid');
    expect(name.attributes('aria-invalid')).toBe('true');
    const feedback = wrapper.get(`#${name.attributes('aria-describedby')}`);
    expect(feedback.text()).toBe('Give the job a name.');

    const count = wrapper.get('[data-testid="submit-gpu-count"]');
    await count.setValue('1.5');
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('Enter a whole number of GPUs, 1 or more.');
    await count.setValue('0');
    expect(count.classes()).toContain('is-invalid');

    const hours = wrapper.get('[data-testid="submit-hours"]');
    await hours.setValue('0');
    expect(wrapper.get('#job-hours-feedback').text()).toBe('Enter more than 0 hours.');
    await hours.setValue('2');
    expect(hours.classes()).not.toContain('is-invalid');
  });

  it('should label every input', () => {
    const { wrapper } = mountForm();
    for (const input of wrapper.findAll('input, select')) {
      const id = input.attributes('id');
      expect(id).toBeTruthy();
      expect(wrapper.find(`label[for="${id}"]`).exists()).toBe(true);
    }
  });

  it('should not send an incomplete form and show every problem', async () => {
    const { wrapper, submit } = mountForm();
    await wrapper.get('[data-testid="submit-hours"]').setValue('');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).not.toHaveBeenCalled();
    expect(wrapper.get('#job-name-feedback').text()).toBe('Give the job a name.');
    expect(wrapper.get('#job-hours-feedback').text()).toBe('Enter how many hours.');
  });

  it('should send a valid job with the chosen GPU type and clear the name after', async () => {
    const { wrapper, submit } = mountForm();
    await wrapper.get('[data-testid="submit-name"]').setValue('  llama-finetune ');
    await wrapper.get('[data-testid="submit-gpu-type"]').setValue('H100');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('4');
    await wrapper.get('[data-testid="submit-hours"]').setValue('6');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).toHaveBeenCalledWith({ name: 'llama-finetune', gpuType: 'H100', gpuCount: 4, hours: 6 });
    expect((wrapper.get('[data-testid="submit-name"]').element as HTMLInputElement).value).toBe('');
    expect(wrapper.get('[data-testid="submit-name"]').classes()).not.toContain('is-invalid');
  });

  it("should put the server's field error under that input", async () => {
    const submit = vi.fn(
      async (): Promise<SubmitOutcome> => ({
        ok: false,
        problem: { code: 'BAD_USER_INPUT', message: 'gpuCount: must be an integer from 1 to 8', field: 'gpuCount', extensions: { field: 'gpuCount' } },
      }),
    );
    const { wrapper } = mountForm(1000, submit);
    await wrapper.get('[data-testid="submit-name"]').setValue('too wide');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('16');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="submit-gpu-count"]').classes()).toContain('is-invalid');
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('must be an integer from 1 to 8');
    expect(document.activeElement?.id).toBe('job-gpuCount');
    // The complaint follows the language.
    setLocale('fa');
    await wrapper.vm.$nextTick();
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('پذیرفته نشد: must be an integer from 1 to 8');
    setLocale('en');
    await wrapper.vm.$nextTick();
    // Editing the field clears the server's complaint.
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('8');
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('');
  });

  it("should show the server's other errors in words", async () => {
    const submit = vi.fn(
      async (): Promise<SubmitOutcome> => ({
        ok: false,
        problem: {
          code: 'QUOTA_EXCEEDED',
          message: 'This job needs 6 GPU-hours but only 4 of your 2025-11 quota remain',
          field: null,
          extensions: { requestedGpuHours: 6, remainingGpuHours: 4 },
        },
      }),
    );
    const { wrapper } = mountForm(100, submit);
    await wrapper.get('[data-testid="submit-name"]').setValue('raced');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="submit-error"]').text()).toBe('This job needs 6 GPU-hours but only 4 of your 2025-11 quota remain');
  });

  it('should speak Persian, with Persian digits', async () => {
    setLocale('fa');
    const { wrapper } = mountForm(10);
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('8');
    await wrapper.get('[data-testid="submit-hours"]').setValue('2');
    expect(wrapper.get('[data-testid="cost-gpu-hours"]').text()).toBe('۸ × ۲ ساعت = ۱۶ ساعت GPU');
    expect(wrapper.get('[data-testid="quota-error"]').text()).toContain('فقط ۱۰ ساعت');
    expect(wrapper.get('label[for="job-name"]').text()).toBe('نام کار');
  });
});

describe('JobSubmitForm and the cluster', () => {
  const pool = (gpuType: string, freeGpus: number, largestNodeGpus: number): GpuPoolFieldsFragment => ({
    gpuType,
    nodes: 1,
    totalGpus: largestNodeGpus,
    upGpus: largestNodeGpus,
    allocatedGpus: largestNodeGpus - freeGpus,
    freeGpus,
    drainingGpus: 0,
    largestFreeBlock: freeGpus,
    largestNodeGpus,
    queuedJobs: 0,
    queuedGpus: 0,
  });

  function mountWithPools(pools: GpuPoolFieldsFragment[]) {
    const submit = vi.fn(async (_input: CreateJobInput): Promise<SubmitOutcome> => ({ ok: true }));
    const wrapper = mount(JobSubmitForm, { props: { gpuTypes: ['A100', 'H100'], quota: quota(1000, 1000), pools, submit }, attachTo: document.body });
    return { wrapper, submit };
  }

  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('should show the chosen type’s free GPUs and largest node, and follow the choice and the pools', async () => {
    const { wrapper } = mountWithPools([pool('A100', 12, 8), pool('H100', 2, 8)]);
    const hint = () => wrapper.get('[data-testid="capacity-hint"]');
    expect(hint().text()).toBe('12 free now · largest node 8 GPUs');
    await wrapper.get('[data-testid="submit-gpu-type"]').setValue('H100');
    expect(hint().text()).toBe('2 free now · largest node 8 GPUs');
    await wrapper.setProps({ pools: [pool('A100', 12, 8), pool('H100', 6, 8)] });
    expect(hint().attributes('data-free')).toBe('6');
  });

  it('should refuse a count the largest node cannot hold before sending, under the GPU count', async () => {
    const { wrapper, submit } = mountWithPools([pool('A100', 16, 8), pool('H100', 8, 4)]);
    await wrapper.get('[data-testid="submit-name"]').setValue('wide run');
    await wrapper.get('[data-testid="submit-gpu-type"]').setValue('H100');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('6');
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('The largest H100 node has 4 GPUs.');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).not.toHaveBeenCalled();
    expect(document.activeElement?.id).toBe('job-gpuCount');
    // Another type with larger nodes takes the same count.
    await wrapper.get('[data-testid="submit-gpu-type"]').setValue('A100');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(submit).toHaveBeenCalledWith({ name: 'wide run', gpuType: 'A100', gpuCount: 6, hours: 1 });
  });

  it('should say it in Persian, with Persian digits', async () => {
    setLocale('fa');
    const { wrapper } = mountWithPools([pool('A100', 12, 8)]);
    expect(wrapper.get('[data-testid="capacity-hint"]').text()).toBe('۱۲ GPU آزاد در این لحظه · بزرگ‌ترین گره ۸ GPU');
    await wrapper.get('[data-testid="submit-gpu-count"]').setValue('9');
    expect(wrapper.get('#job-gpuCount-feedback').text()).toBe('بزرگ‌ترین گرهٔ A100 فقط ۸ GPU دارد.');
  });
});
