/**
 * "Did you mean" for unknown unit names, as commander answers an unknown command: the known names
 * within a small edit distance, nearest first.
 */

import { editDistance } from '../edit-distance.js';

/** Up to three known names close to `name`. */
export function nearestNames(name: string, known: Iterable<string>): string[] {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  return [...known]
    .map((candidate) => ({ candidate, d: editDistance(lower, candidate.toLowerCase()) }))
    .filter(({ candidate, d }) => d <= limit || candidate.toLowerCase().startsWith(lower))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}
