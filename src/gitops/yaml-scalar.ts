import { isMap, isScalar, parseDocument } from 'yaml';

/**
 * Whether `value` written bare after `key: ` reads back as that same string under YAML 1.2 (cloudflared, our own
 * readers) and YAML 1.1 (sigs.k8s.io/yaml, which kubectl, kustomize and Flux use for manifests). A bare `2`, `on`,
 * `no` or `2026-12-08` is a number, a boolean or a date to one of them, and Kubernetes refuses a label or a name
 * that is not a string.
 */
export function readsBackPlain(value: string): boolean {
  if (value === '' || /[\r\n\t]/.test(value) || value.trim() !== value) return false;
  return (['1.2', '1.1'] as const).every((version) => {
    const probe = parseDocument(`k: ${value}\n`, { version });
    const probed = isMap(probe.contents) ? probe.contents.items[0]?.value : undefined;
    return probe.errors.length === 0 && isScalar(probed) && probed.type === 'PLAIN' && probed.value === value;
  });
}

/** A string scalar for a template: plain when it reads back as itself everywhere, else double-quoted (JSON is YAML). */
export function yamlScalar(value: string): string {
  return readsBackPlain(value) ? value : JSON.stringify(value);
}
