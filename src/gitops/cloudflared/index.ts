/** cloudflared config.yaml: parse, validate and match like cloudflared, and edit without disturbing the file. */
export type {
  CloudflaredConfig,
  IngressRule,
  ParsedCloudflaredConfig,
  SourceSpan,
  ValidationResult,
} from './model.js';
export { parseCloudflaredConfig } from './parse.js';
export { isCatchAll, validateCloudflaredConfig, validateIngressRules } from './validate.js';
export { findMatchingRule } from './match.js';
export { removeIngressRule, routedHostnames, upsertIngressRule } from './edit.js';
