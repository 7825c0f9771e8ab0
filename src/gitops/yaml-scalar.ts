import { isMap, isScalar, parseDocument } from 'yaml';

/**
 * Whether `value` written bare after `key: ` reads back as that same string under YAML 1.2 (cloudflared, our own
 * readers) and YAML 1.1 (sigs.k8s.io/yaml, which kubectl, kustomize and Flux use for manifests). A bare `2`, `on`,
 * `no` or `2026-12-08` is a number, a boolean or a date to one of them, and Kubernetes refuses a label or a name
 * that is not a string.
 */
export function readsBackPlain(value: string): boolean {
  // Printable ASCII only: YAML 1.1 readers take U+0085, U+2028 and U+2029 for line breaks, and a lone surrogate
  // cannot be written as UTF-8 at all.
  if (value === '' || !/^[\x20-\x7e]+$/.test(value) || value.trim() !== value) return false;
  return (['1.2', '1.1'] as const).every((version) => {
    const probe = parseDocument(`k: ${value}\n`, { version });
    const probed = isMap(probe.contents) ? probe.contents.items[0]?.value : undefined;
    return probe.errors.length === 0 && isScalar(probed) && probed.type === 'PLAIN' && probed.value === value;
  });
}

/**
 * `value` double-quoted: a JSON string is a YAML one, with the characters YAML does not allow raw or reads as line
 * breaks written as `\\u` escapes. It reads back as `value` whatever `value` holds.
 */
export function yamlQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A string scalar for a template: plain when it reads back as itself everywhere, else double-quoted. */
export function yamlScalar(value: string): string {
  return readsBackPlain(value) ? value : yamlQuoted(value);
}
