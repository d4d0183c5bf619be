/**
 * The decorator form of a hot unit: a class whose instances are the versions. The first time the
 * decorated class is evaluated it registers a hot unit; when the loader evaluates the module again
 * with a changed class, the decorator stages that class and the next reload of the unit builds an
 * instance of it, carrying the named state over.
 *
 * Works as a standard (TC39) class decorator, a legacy (`experimentalDecorators`) one, or a plain
 * call: `hot(runtime, options)(Greeter)`, for toolchains that do not lower decorators.
 */
import type { Handle } from './handle.js';
import { createHotUnit, type HotUnit, type HotUnitOptions, type UnitRegistry } from './hot-unit.js';

/** Options of {@link hot}: a hot unit's options, with the class as its version source. */
export interface HotClassOptions<T extends object, K extends string = never>
  extends Omit<HotUnitOptions<T, K>, 'versionSource'> {
  /** Constructor arguments for each new version. @default [] */
  args?(): unknown[];
}

// biome-ignore lint/suspicious/noExplicitAny: constructors take whatever their class declares.
type Constructor<T> = new (...args: any[]) => T;

const kStaged = Symbol.for('hotswap.hotClass.staged');

interface Staged<T> {
  latest: Constructor<T>;
}

type StagedUnit<T extends object> = HotUnit<T> & { [kStaged]?: Staged<T> };

// Every class evaluated under one unit name maps to that unit's handle.
const handles = new WeakMap<object, Handle<unknown>>();

/**
 * Class decorator: the class's instances become the versions of hot unit `options.name`.
 * @example
 * @hot(runtime, { name: 'greeter', state: ['count'] })
 * class Greeter {
 *   count = 0;
 *   greet(name: string) { return `hi ${name} #${++this.count}`; }
 * }
 * await runtime.reload();
 * handleOf(Greeter).current.greet('ada');
 */
export function hot<T extends object, K extends string = never>(
  registry: UnitRegistry,
  options: HotClassOptions<T, K>,
) {
  return <C extends Constructor<T>>(value: C, _context?: ClassDecoratorContext<C>): C => {
    if (registry.has(options.name)) {
      const unit = registry.get(options.name) as StagedUnit<T>;
      const staged = unit[kStaged];
      if (staged === undefined) {
        // Not ours: let add() raise the duplicate-name error with its usual wording.
        registry.add(createHotUnit({ ...options, versionSource: () => undefined }));
        return value;
      }
      staged.latest = value;
      handles.set(value, unit.handle as Handle<unknown>);
      return value;
    }
    const staged: Staged<T> = { latest: value };
    const unit = createHotUnit<T, K>({
      ...options,
      versionSource: ({ previous }) =>
        typeof previous === 'object' && previous !== null && previous.constructor === staged.latest
          ? undefined
          : new staged.latest(...(options.args?.() ?? [])),
    }) as HotUnit<T, K> & { [kStaged]?: Staged<T> };
    Object.defineProperty(unit, kStaged, { value: staged });
    registry.add(unit);
    handles.set(value, unit.handle as Handle<unknown>);
    return value;
  };
}

/**
 * The handle of the hot unit a class was registered under with {@link hot}.
 * Throws a `TypeError` for a class that was never decorated.
 * @example
 * const greeter = handleOf(Greeter); // stable across reloads
 * greeter.current.greet('ada');      // the live instance
 */
export function handleOf<T extends object>(cls: Constructor<T>): Handle<T> {
  const handle = handles.get(cls);
  if (handle === undefined) throw new TypeError(`${cls.name} is not a hot class`);
  return handle as Handle<T>;
}
