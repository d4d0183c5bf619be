/**
 * The public type of `import.meta.hot` under hotswap: Vite's `ViteHotContext` plus hotswap's
 * `scope` and `generation`. Reference it from an app with `/// <reference types="hotswap/client" />`
 * or `"types": ["hotswap/client"]` in tsconfig.json.
 */
import type { Scope } from '../scope.js';

/** A module namespace as accept callbacks receive it (undefined when the module failed). */
export type ModuleNamespace = Record<string, unknown>;

/** Payloads of the built-in update events (each also exists as `vite:<name>`). */
export interface HotEventPayloads {
  'hotswap:beforeUpdate': { type: 'update'; updates: HotUpdate[] };
  'hotswap:afterUpdate': { type: 'update'; updates: HotUpdate[] };
  'hotswap:beforePrune': { type: 'prune'; paths: string[] };
  'hotswap:beforeFullReload': { path: string };
  'hotswap:invalidate': { path: string; message: string | undefined };
  'hotswap:error': { err: { message: string; code?: string } };
  'vite:beforeUpdate': { type: 'update'; updates: HotUpdate[] };
  'vite:afterUpdate': { type: 'update'; updates: HotUpdate[] };
  'vite:beforePrune': { type: 'prune'; paths: string[] };
  'vite:beforeFullReload': { path: string };
  'vite:invalidate': { path: string; message: string | undefined };
  'vite:error': { err: { message: string; code?: string } };
}

/** One module an update applies to. */
export interface HotUpdate {
  type: 'js-update';
  /** The module that takes the update (the boundary). */
  path: string;
  /** The changed module it accepts. */
  acceptedPath: string;
  timestamp: number;
}

/** The payload type of an event name (custom events carry whatever `send` sent). */
export type HotPayload<E extends string> = E extends keyof HotEventPayloads
  ? HotEventPayloads[E]
  : unknown;

/**
 * `import.meta.hot` for one module version.
 *
 * Reloads are transactions: a new version is evaluated while the old one still runs, and the old
 * version's `dispose` callbacks run only once the new one is committed. Keep what must outlive a
 * version in `data`, and tie what a version starts to `scope`.
 */
export interface HotContext {
  /** State handed from version to version of this file: the same object for all of them. */
  readonly data: Record<string, unknown>;
  /** What this version started (timers, listeners, resources); disposed when it is replaced. */
  readonly scope: Scope;
  /** Generation of this version of the file: 1 for the first. */
  readonly generation: number;
  /** This module handles its own changes; it is re-evaluated and its importers are not. */
  accept(): void;
  /** Like `accept()`; the callback (registered by the old version) receives the new namespace. */
  accept(callback: (mod: ModuleNamespace | undefined) => void): void;
  /** This module handles changes of `dep` without being re-evaluated. */
  accept(dep: string, callback?: (mod: ModuleNamespace | undefined) => void): void;
  /** This module handles changes of `deps` without being re-evaluated. */
  accept(deps: readonly string[], callback?: (mods: (ModuleNamespace | undefined)[]) => void): void;
  /** Vite's export-level acceptance; accepts the whole module here. */
  acceptExports(
    names: string | readonly string[],
    callback?: (mod: ModuleNamespace | undefined) => void,
  ): void;
  /** Runs when this version is replaced or pruned, after its successor committed. */
  dispose(callback: (data: Record<string, unknown>) => void | Promise<void>): void;
  /** Runs when no module imports this one any more after an update. */
  prune(callback: (data: Record<string, unknown>) => void | Promise<void>): void;
  /** Changes to this module cannot be applied in place: they need a restart. */
  decline(): void;
  /** This version cannot take the update: update its importers instead. */
  invalidate(message?: string): void;
  /** Listens to an update event or a custom event; the listener ends with this version. */
  on<E extends string>(event: E, callback: (payload: HotPayload<E>) => void): void;
  /** Stops listening. */
  off<E extends string>(event: E, callback: (payload: HotPayload<E>) => void): void;
  /** Sends a custom event to every `on` listener in this process. */
  send<E extends string>(event: E, data?: HotPayload<E>): void;
}
