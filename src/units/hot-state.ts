/**
 * State that outlives a version: named keys read from the old version just before a swap,
 * optionally migrated (Erlang's `code_change`), and written into the new version before it goes
 * live. Loader-independent: a plain object, a class instance, or (with custom `get`/`set`) a
 * module whose state lives in `import.meta.hot.data`.
 *
 * A migrate that throws fails the commit of its unit, so the old version stays live with its
 * state untouched (`HS_ERR_UNIT_MIGRATE`).
 */
import { HotswapError, oneLine } from '../errors.js';

/** Named state carried from one version to the next. */
export type HotState = Record<string, unknown>;

/** Which way a state moves between versions. */
export type MigrateDirection = 'upgrade' | 'downgrade';

/** What `migrate` is told about the swap it belongs to. */
export interface MigrateInfo {
  /** The unit whose state is migrated. */
  unit: string;
  /** Generation of the version the state comes from. */
  from: number;
  /** Generation the new version will get. */
  to: number;
  /** `downgrade` when a rollback returns to an earlier version. */
  direction: MigrateDirection;
}

/**
 * Turns the old version's state into the shape the new version expects. Runs at commit, when
 * workers are paused, and must be synchronous so nothing sees the state half moved. Return new
 * values rather than mutating `state`: on a throw, the old version keeps using it.
 */
export type Migrate<S extends HotState = HotState> = (state: S, info: MigrateInfo) => S;

/** How state is read from and written to a version. */
export interface StateAccess<T> {
  /** Reads the named keys of `version`. @default own properties of the version object */
  get?(version: T, keys: readonly string[]): HotState;
  /** Writes `state` into the (not yet live) `version`. @default assigns properties */
  set?(version: T, state: HotState): void;
}

/** Options of {@link carryState}. */
export interface CarryStateOptions<T> extends StateAccess<T> {
  /** The unit the state belongs to (named in errors). */
  unit: string;
  /** The version going out. */
  from: T;
  /** The version coming in (not live yet). */
  to: T;
  /** Keys to carry. */
  keys: readonly string[];
  /** Optional reshaping step. */
  migrate?: Migrate | undefined;
  /** Facts handed to `migrate`. */
  info: Omit<MigrateInfo, 'unit'>;
}

/**
 * Reads the named keys of `version` (own or inherited properties; missing keys are skipped).
 * @example
 * captureState({ count: 3, log: [] }, ['count']); // { count: 3 }
 */
export function captureState<T>(version: T, keys: readonly string[]): HotState {
  const state: HotState = {};
  if (typeof version !== 'object' || version === null) return state;
  for (const key of keys) {
    if (key in version) state[key] = (version as Record<string, unknown>)[key];
  }
  return state;
}

/**
 * Writes `state` into `version`, key by key.
 * @example
 * restoreState(next, { count: 3 }); // next.count === 3
 */
export function restoreState<T>(version: T, state: HotState): void {
  if (typeof version !== 'object' || version === null) return;
  for (const [key, value] of Object.entries(state)) {
    (version as Record<string, unknown>)[key] = value;
  }
}

/**
 * Runs `migrate` over `state`; a throw (or a promise: migrate is synchronous) becomes
 * `HS_ERR_UNIT_MIGRATE` naming the unit and the generations, with the user's error as cause.
 * @example
 * migrateState({ n: 1 }, (s) => ({ count: s.n }), { unit: 'c', from: 1, to: 2, direction: 'upgrade' });
 */
export function migrateState(state: HotState, migrate: Migrate, info: MigrateInfo): HotState {
  let next: unknown;
  try {
    next = migrate(state, info);
  } catch (err) {
    throw new HotswapError(
      'HS_ERR_UNIT_MIGRATE',
      `${info.unit}: migrate (${info.direction} ${info.from} → ${info.to}) threw: ${oneLine(err)}`,
      { unit: info.unit, cause: err, hint: 'the old version and its state stay live' },
    );
  }
  if (typeof (next as { then?: unknown } | null)?.then === 'function') {
    // A dropped promise would swallow its rejection; migrate runs inside a synchronous swap.
    void Promise.resolve(next).catch(() => {});
    throw new HotswapError(
      'HS_ERR_UNIT_MIGRATE',
      `${info.unit}: migrate returned a promise; it must return the new state synchronously`,
      { unit: info.unit },
    );
  }
  if (typeof next !== 'object' || next === null) {
    throw new HotswapError(
      'HS_ERR_UNIT_MIGRATE',
      `${info.unit}: migrate must return the new state object, got ${next === null ? 'null' : typeof next}`,
      { unit: info.unit },
    );
  }
  return next as HotState;
}

/**
 * Commit phase: moves the named state from the outgoing version into the incoming one, through
 * `migrate` when given. Writes only into `to`; on a throw, `from` and its state are untouched.
 * @returns the state written into `to`
 * @example
 * carryState({ unit: 'counter', from: live, to: next, keys: ['count'], info: { from: 1, to: 2, direction: 'upgrade' } });
 */
export function carryState<T>(options: CarryStateOptions<T>): HotState {
  const { unit, from, to, keys, migrate, info } = options;
  const read = options.get ?? captureState;
  const write = options.set ?? restoreState;
  const captured = read(from, keys);
  const state = migrate ? migrateState(captured, migrate, { unit, ...info }) : captured;
  write(to, state);
  return state;
}
