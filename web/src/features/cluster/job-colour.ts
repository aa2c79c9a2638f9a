/** The colours of a GPU cell held by a job: a light fill with dark text (contrast ≥ 4.5:1) and a stronger border. */
export interface JobColour {
  background: string;
  border: string;
  text: string;
}

/** FNV-1a, 32 bits: a quick, well-spread hash of a string. */
function hash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i += 1) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A job's colour, the same for its id on every page and every load, so one job's GPUs read as one
 * block across nodes. The hue comes from the id; lightness is fixed, so the index printed on the
 * cell stays readable whatever the hue.
 */
export function jobColour(jobId: string): JobColour {
  const hue = hash(jobId) % 360;
  return { background: `hsl(${hue} 70% 86%)`, border: `hsl(${hue} 55% 35%)`, text: '#1f2328' };
}
