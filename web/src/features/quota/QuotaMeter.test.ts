import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { QuotaFieldsFragment } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import QuotaMeter from './QuotaMeter.vue';

const quota = (used: number, limit: number): QuotaFieldsFragment => ({
  month: '2025-11',
  limitGpuHours: limit,
  usedGpuHours: used,
  remainingGpuHours: Math.max(0, limit - used),
});

describe('QuotaMeter', () => {
  afterEach(() => setLocale('en'));

  it('should say in words how much is used and how much remains', () => {
    const wrapper = mount(QuotaMeter, { props: { quota: quota(24, 100) } });
    expect(wrapper.get('[data-testid="quota-used"]').text()).toBe('24 of 100 GPU-hours used');
    expect(wrapper.get('[data-testid="quota-remaining"]').text()).toBe('76 remaining');
    const meter = wrapper.get('[data-testid="quota-meter"]');
    expect(meter.attributes('data-used')).toBe('24');
    expect(meter.attributes('data-remaining')).toBe('76');
    expect(meter.attributes('data-limit')).toBe('100');
  });

  it('should expose the usage as an accessible progress bar with a text value', () => {
    const wrapper = mount(QuotaMeter, { props: { quota: quota(24, 100) } });
    const bar = wrapper.get('[role="progressbar"]');
    expect(bar.attributes('aria-valuenow')).toBe('24');
    expect(bar.attributes('aria-valuemin')).toBe('0');
    expect(bar.attributes('aria-valuemax')).toBe('100');
    expect(bar.attributes('aria-valuetext')).toBe('24 of 100 GPU-hours used, 76 remaining');
    expect(bar.attributes('aria-label')).toBeTruthy();
    expect(wrapper.get('.progress-bar').attributes('style')).toContain('width: 24%');
    expect(wrapper.get('.progress-bar').text()).toBe('24%');
  });

  it('should pair the warning colours with a sentence, never colour alone', () => {
    const low = mount(QuotaMeter, { props: { quota: quota(10, 100) } });
    expect(low.get('.progress-bar').classes()).toContain('text-bg-success');
    expect(low.find('[data-testid="quota-level"]').exists()).toBe(false);

    const high = mount(QuotaMeter, { props: { quota: quota(75, 100) } });
    expect(high.get('.progress-bar').classes()).toContain('text-bg-warning');
    expect(high.get('[data-testid="quota-level"]').text()).toContain('70%');

    const full = mount(QuotaMeter, { props: { quota: quota(120, 100) } });
    expect(full.get('.progress-bar').classes()).toContain('text-bg-danger');
    expect(full.get('.progress-bar').attributes('style')).toContain('width: 100%');
    expect(full.get('[data-testid="quota-level"]').text()).toBe('This month’s quota is used up.');
    expect(full.get('[data-testid="quota-remaining"]').text()).toBe('0 remaining');
  });

  it('should show fractional GPU-hours and handle a zero limit', () => {
    const wrapper = mount(QuotaMeter, { props: { quota: quota(0, 0) } });
    expect(wrapper.get('.progress-bar').attributes('style')).toContain('width: 0%');
    const fractional = mount(QuotaMeter, { props: { quota: { ...quota(0, 10), usedGpuHours: 2.5, remainingGpuHours: 7.5 } } });
    expect(fractional.get('[data-testid="quota-used"]').text()).toBe('2.5 of 10 GPU-hours used');
  });

  it('should follow the language, with Persian digits in Persian', async () => {
    const wrapper = mount(QuotaMeter, { props: { quota: quota(24, 100) } });
    setLocale('fa');
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[data-testid="quota-used"]').text()).toBe('۲۴ از ۱۰۰ ساعت GPU مصرف شده');
    expect(wrapper.get('[data-testid="quota-remaining"]').text()).toBe('۷۶ باقی‌مانده');
  });

  it('should update when the quota changes', async () => {
    const wrapper = mount(QuotaMeter, { props: { quota: quota(24, 100) } });
    await wrapper.setProps({ quota: quota(48, 100) });
    expect(wrapper.get('[data-testid="quota-remaining"]').text()).toBe('52 remaining');
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('48');
  });
});
