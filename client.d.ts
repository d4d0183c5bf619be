/**
 * Types for code that runs under hotswap: `import.meta.hot`.
 *
 * Add `"types": ["node", "hotswap/client"]` to tsconfig.json, or
 * `/// <reference types="hotswap/client" />` at the top of a file.
 */
import type { HotContext } from './dist/loader/hot-types.js';

declare global {
  interface ImportMeta {
    /** Present when the module runs under the hotswap loader (`hotswap run`, `createLoader`). */
    readonly hot?: HotContext;
  }
}
