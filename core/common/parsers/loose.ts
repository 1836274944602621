/** Small zod helpers for CLI output whose field types drift between releases. */
import { z } from 'zod';

/** A string, or null when absent/odd (never fails the document). Plain-function twin for hot loops: looseStr. */
export const looseStr = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
export const optStr = z.unknown().optional().transform(looseStr);
/** A finite number (also from a numeric string), else null. */
export const optNum = z
  .unknown()
  .optional()
  .transform((v): number | null => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return null;
  });
/** true/false, also "true"/"false" strings (rbd ls -l prints `"protected": "true"`). */
export const optBool = z
  .unknown()
  .optional()
  .transform((v): boolean | null => {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'True') return true;
    if (v === 'false' || v === 'False') return false;
    return null;
  });
/** An array of strings; a single string becomes a one-element array (peer_sites[].mirror_uuids is a string). */
export const looseStrList = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string' && v !== '') return [v];
  return [];
};
export const strList = z.unknown().optional().transform(looseStrList);

/** A plain object (not an array), else null: the entry is skipped, the document still stands. */
export const looseObj = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
/** Record of counts (summary.states). */
export const countMap = z
  .unknown()
  .optional()
  .transform((v): Record<string, number> => {
    const out: Record<string, number> = {};
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, n] of Object.entries(v as Record<string, unknown>)) if (typeof n === 'number') out[k] = n;
    }
    return out;
  });
