/**
 * The config unit: layered, validated, snapshotted configuration that reloads live.
 * See `docs/config.md`.
 */
export { createConfig } from './config-unit.js';
export type { ConfigChangeView, KeyChange } from './diff.js';
export type { TextStyle } from './format.js';
export {
  formatConfigInfo,
  formatConfigIssues,
  formatConfigReport,
  formatConfigSnapshots,
  plainStyle,
} from './format.js';
export type { ConfigFileSpec } from './layers.js';
export { parseOverrideArg } from './overrides.js';
export type { ConfigFormat } from './parse.js';
export { defaultSecretPattern, REDACTED } from './secrets.js';
export type { ConfigChangeEvent, ConfigListener } from './subscriptions.js';
export type { ConfigInfo, ConfigTarget } from './target.js';
export { configTarget } from './target.js';
// Every type in types.ts is public (Config, ConfigOptions, ConfigReport, KeyPath ...).
export type * from './types.js';
export type { ConfigIssue, ConfigIssuesError } from './validate.js';
export { configIssues } from './validate.js';
