import { describe, expect, it } from 'vitest';
import { jobColour } from './job-colour';

const ids = Array.from({ length: 50 }, (_, i) => `0b7c6a1e-5d7f-4c3a-9d3e-${String(i).padStart(12, '0')}`);
const hueOf = (colour: string) => Number(/^hsl\((\d+) /.exec(colour)?.[1]);

describe('jobColour', () => {
  it('should give a job the same colour every time', () => {
    for (const id of ids) expect(jobColour(id)).toEqual(jobColour(id));
  });

  it('should tell jobs apart: ids that differ by one character get different hues', () => {
    const hues = new Set(ids.map((id) => hueOf(jobColour(id).background)));
    expect(hues.size).toBeGreaterThanOrEqual(40);
  });

  it('should keep the same hue for fill and border, and dark text on a light fill', () => {
    const colour = jobColour(ids[0]!);
    expect(hueOf(colour.border)).toBe(hueOf(colour.background));
    expect(colour.background).toMatch(/ 86%\)$/);
    expect(colour.text).toBe('#1f2328');
  });
});
