import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuPoolFieldsFragment } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import GpuPoolCard from './GpuPoolCard.vue';

const pool: GpuPoolFieldsFragment = {
  gpuType: 'H100',
  nodes: 3,
  totalGpus: 24,
  upGpus: 16,
  allocatedGpus: 6,
  freeGpus: 6,
  drainingGpus: 4,
  largestFreeBlock: 4,
  largestNodeGpus: 8,
  queuedJobs: 2,
  queuedGpus: 12,
};

describe('GpuPoolCard', () => {
  afterEach(() => setLocale('en'));

  it('should state every number of the bar in text, not by colour alone', () => {
    const wrapper = mount(GpuPoolCard, { props: { pool } });
    expect(wrapper.get('[data-testid="pool-bar"]').attributes('aria-hidden')).toBe('true');
    const legend = (kind: string) => {
      const item = wrapper.get(`[data-testid="pool-${kind}"]`);
      return `${item.get('dt').text()} ${item.get('dd').text()}`;
    };
    expect(legend('allocated')).toBe('Allocated 6');
    expect(legend('free')).toBe('Free 6');
    expect(legend('draining')).toBe('Draining 4');
    expect(legend('down')).toBe('Down 8');
    expect(wrapper.get('[data-testid="pool-size"]').text()).toBe('3 nodes · 24 GPUs');
    expect(wrapper.get('[data-testid="pool-queue"]').text().replace(/\s+/g, ' ')).toBe('2 jobs waiting to start (12 GPUs) · at most 4 free on one node');
  });

  it('should size the segments by their share and hide the empty ones', () => {
    const wrapper = mount(GpuPoolCard, { props: { pool: { ...pool, drainingGpus: 0, upGpus: 12 } } });
    const segments = wrapper.findAll('[data-testid="pool-segment"]');
    expect(segments.map((s) => s.attributes('style'))).toEqual(['width: 25%;', 'width: 25%;', 'width: 0%; display: none;', 'width: 50%;']);
  });

  it('should speak Persian, with Persian digits', () => {
    setLocale('fa');
    const wrapper = mount(GpuPoolCard, { props: { pool } });
    const free = wrapper.get('[data-testid="pool-free"]');
    expect([free.get('dt').text(), free.get('dd').text()]).toEqual(['آزاد', '۶']);
  });
});
