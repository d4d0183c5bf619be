/**
 * `defineUnit` returns its argument unchanged: it exists so a hand-written unit is checked
 * against the {@link Unit} contract where it is written, with its own extra members kept.
 */
import type { Unit } from './unit.js';

/**
 * Identity helper for typed custom units.
 * @example
 * let live = { greeting: 'hello' };
 * const greetings = defineUnit({
 *   name: 'greetings',
 *   kind: 'custom',
 *   dependsOn: [],
 *   generation: 0,
 *   async prepare() {
 *     const next = { greeting: 'hi' };
 *     const before = live;
 *     return {
 *       outcome: 'refreshed',
 *       commit: () => { live = next; },
 *       rollback: () => { live = before; },
 *       discard: () => {},
 *     };
 *   },
 *   status() { return { name: 'greetings', kind: 'custom', generation: 0, state: 'active' }; },
 * });
 */
export function defineUnit<U extends Unit>(unit: U): U {
  return unit;
}
