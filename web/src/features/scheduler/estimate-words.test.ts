import { afterEach, describe, expect, it } from 'vitest';
import type { JobEstimateFieldsFragment, PendingReason } from '../../generated/graphql';
import { setLocale, t } from '../../i18n';
import { likelyText, positionText, REASON_LABEL, reasonText, startByText } from './estimate-words';

/** An estimate as the API sends it; each test changes what it is about. */
function estimate(overrides: Partial<JobEstimateFieldsFragment> = {}): JobEstimateFieldsFragment {
  return {
    position: 3,
    jobsAhead: 2,
    startBy: '2025-12-03T16:40:00Z',
    likelyStart: '2025-12-03T15:10:00Z',
    reason: 'BEHIND_HIGHER_PRIORITY',
    message: '3rd in the H100 queue; 2 jobs ahead of it',
    gpusFree: 2,
    largestNodeGpus: 8,
    plannedAt: '2025-12-03T12:00:00Z',
    ...overrides,
  };
}

const H100x4 = { gpuType: 'H100', gpuCount: 4 };
const NOW = new Date('2025-12-03T12:00:00Z');
/** Spaces as plain spaces: ICU puts a narrow no-break space before "PM". */
const plain = (text: string | null) => text?.replace(/\s/g, ' ') ?? null;

describe('the estimate in words', () => {
  afterEach(() => setLocale('en'));

  it('should say the place in the queue with an ordinal, in English and Persian', () => {
    expect(positionText(estimate(), H100x4)).toBe('3rd in the H100 queue');
    expect(positionText(estimate({ position: 1 }), H100x4)).toBe('1st in the H100 queue');
    expect(positionText(estimate({ position: 22 }), H100x4)).toBe('22nd in the H100 queue');
    setLocale('fa');
    expect(positionText(estimate(), H100x4)).toBe('سومین در صف H100');
    expect(positionText(estimate({ position: 22 }), H100x4)).toBe('۲۲مین در صف H100');
  });

  it('should say of a job not approved yet the place it would take once approved', () => {
    const pending = estimate({ reason: 'AWAITING_APPROVAL', position: 2 });
    expect(positionText(pending, H100x4)).toBe('2nd in the H100 queue once approved');
    setLocale('fa');
    expect(positionText(pending, H100x4)).toBe('دومین در صف H100 پس از تأیید');
  });

  const REASONS: readonly [string, Partial<JobEstimateFieldsFragment>, string, string][] = [
    ['AWAITING_APPROVAL', { reason: 'AWAITING_APPROVAL' }, 'an admin has not approved it yet', 'مدیر هنوز آن را تأیید نکرده است'],
    ['WAITING_FOR_GPUS', { reason: 'WAITING_FOR_GPUS', gpusFree: 2 }, 'needs 4 GPUs, 2 free', 'به ۴ GPU نیاز دارد، ۲ آزاد است'],
    ['BEHIND_HIGHER_PRIORITY', { reason: 'BEHIND_HIGHER_PRIORITY', jobsAhead: 2 }, '2 jobs ahead of it', '۲ کار جلوتر از آن است'],
    ['NO_NODE_FITS', { reason: 'NO_NODE_FITS', largestNodeGpus: 8 }, 'no H100 node has 4 GPUs (largest: 8)', 'هیچ گرهٔ H100 با ۴ GPU وجود ندارد (بزرگ‌ترین: ۸)'],
    ['NO_NODE_FITS with no node', { reason: 'NO_NODE_FITS', largestNodeGpus: 0 }, 'there is no H100 node', 'هیچ گرهٔ H100 وجود ندارد'],
    [
      'NODES_UNAVAILABLE',
      { reason: 'NODES_UNAVAILABLE' },
      'the H100 nodes big enough for it are draining or down',
      'گره‌های H100 که جای آن را دارند در حال تخلیه یا از کار افتاده‌اند',
    ],
  ];

  it.each(REASONS)('should say why it waits (%s) from the numbers, in English and Persian', (_name, overrides, english, persian) => {
    expect(reasonText(estimate(overrides), H100x4, 'MANUAL')).toBe(english);
    setLocale('fa');
    expect(reasonText(estimate(overrides), H100x4, 'MANUAL')).toBe(persian);
  });

  it('should count in the singular for one job ahead and one GPU', () => {
    expect(reasonText(estimate({ jobsAhead: 1 }), H100x4, null)).toBe('1 job ahead of it');
    expect(reasonText(estimate({ reason: 'WAITING_FOR_GPUS', gpusFree: 0 }), { gpuType: 'H100', gpuCount: 1 }, null)).toBe('needs 1 GPU, 0 free');
  });

  it('should say who starts a job whose GPUs are free by the mode', () => {
    const ready = estimate({ reason: 'AWAITING_START', position: 1, jobsAhead: 0 });
    expect(reasonText(ready, H100x4, 'MANUAL')).toBe('its GPUs are free: an admin can start it now');
    expect(reasonText(ready, H100x4, 'AUTO')).toBe('starting now');
    expect(reasonText(ready, H100x4, null)).toBe('its GPUs are free');
    setLocale('fa');
    expect(reasonText(ready, H100x4, 'MANUAL')).toBe('GPUهایش آزاد است: مدیر می‌تواند همین حالا آن را شروع کند');
    expect(reasonText(ready, H100x4, 'AUTO')).toBe('در حال شروع');
  });

  it('should name every reason in both languages, each differently', () => {
    const reasons = Object.keys(REASON_LABEL) as PendingReason[];
    expect(reasons).toHaveLength(6);
    const names = (locale: 'en' | 'fa') => {
      setLocale(locale);
      return reasons.map((reason) => t(REASON_LABEL[reason]));
    };
    const [english, persian] = [names('en'), names('fa')];
    expect(english).toContain('Waiting for GPUs');
    expect(persian).toContain('در انتظار GPU');
    for (const words of [english, persian]) expect(new Set(words).size).toBe(reasons.length);
    expect(persian.filter((word, i) => word === english[i])).toEqual([]);
  });

  it('should give the times as clock times today, with the date on another day', () => {
    expect(plain(startByText(estimate(), NOW, 'UTC'))).toBe('starts by 4:40 PM');
    expect(plain(likelyText(estimate(), NOW, 'UTC'))).toBe('likely 3:10 PM');
    expect(plain(startByText(estimate({ startBy: '2025-12-04T09:05:00Z' }), NOW, 'UTC'))).toBe('starts by Dec 4, 9:05 AM');
    setLocale('fa');
    expect(startByText(estimate(), NOW, 'UTC')).toBe('شروع حداکثر تا ۱۶:۴۰');
    expect(likelyText(estimate({ likelyStart: '2025-12-04T09:05:00Z' }), NOW, 'UTC')).toBe('به احتمال زیاد ۱۳ آذر، ۹:۰۵');
  });

  it('should qualify startBy when the likely start is later: jobs expected to go ahead', () => {
    const later = estimate({ likelyStart: '2025-12-03T17:30:00Z' });
    expect(plain(startByText(later, NOW, 'UTC'))).toBe('by 4:40 PM if no job goes ahead of it');
    expect(plain(likelyText(later, NOW, 'UTC'))).toBe('likely 5:30 PM');
    setLocale('fa');
    expect(startByText(later, NOW, 'UTC')).toBe('تا ۱۶:۴۰ اگر کاری جلوتر از آن قرار نگیرد');
  });

  it('should leave out times the plan does not have', () => {
    expect(startByText(estimate({ startBy: null }), NOW, 'UTC')).toBeNull();
    expect(likelyText(estimate({ likelyStart: null }), NOW, 'UTC')).toBeNull();
  });
});
