/** The priorities an admin may give a waiting job (the API refuses others). */
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;

/**
 * The priority typed in a field, or null when it is not a whole number within the bounds. An
 * empty field is not 0: the admin cleared it and has not said what they want.
 */
export function parsePriority(value: string | number): number | null {
  if (typeof value === 'string' && value.trim() === '') return null;
  const priority = Number(value);
  return Number.isInteger(priority) && priority >= PRIORITY_MIN && priority <= PRIORITY_MAX ? priority : null;
}
