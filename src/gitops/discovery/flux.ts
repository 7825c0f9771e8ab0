import { field, isWithin, stringField, type ManifestDocument } from './manifests.js';

/**
 * Which Flux Kustomization applies a directory, and whether it decrypts SOPS. A tunnel written outside every
 * Kustomization is never applied; one applied without `decryption.provider: sops` fails on the credentials Secret.
 */

export interface FluxKustomization {
  readonly name: string;
  readonly namespace: string;
  /** spec.path normalised: no leading `./`, no trailing `/`, '' for the repository root. */
  readonly path: string;
  readonly decryptsSops: boolean;
  /** `spec.decryption.secretRef.name`: the Secret (in the Kustomization's namespace) holding the age key. */
  readonly decryptionSecret: string | undefined;
  /** Whether `spec.decryption` is present at all (with or without a usable provider). */
  readonly hasDecryption: boolean;
  readonly targetNamespace: string | undefined;
  readonly file: string;
  /** The document's position in its file. */
  readonly documentIndex: number;
}

function normalisePath(path: string): string {
  return path
    .replace(/^\.?\/+/, '')
    .replace(/^\.$/, '')
    .replace(/\/+$/, '');
}

export function findFluxKustomizations(documents: readonly ManifestDocument[]): FluxKustomization[] {
  return documents
    .filter(
      (document) =>
        stringField(document.value, 'kind') === 'Kustomization' &&
        (stringField(document.value, 'apiVersion') ?? '').startsWith('kustomize.toolkit.fluxcd.io/'),
    )
    .map((document) => ({
      name: stringField(document.value, 'metadata', 'name') ?? '(unnamed)',
      namespace: stringField(document.value, 'metadata', 'namespace') ?? 'flux-system',
      path: normalisePath(stringField(document.value, 'spec', 'path') ?? ''),
      decryptsSops: field(document.value, 'spec', 'decryption', 'provider') === 'sops',
      decryptionSecret: stringField(document.value, 'spec', 'decryption', 'secretRef', 'name'),
      hasDecryption: field(document.value, 'spec', 'decryption') !== undefined,
      targetNamespace: stringField(document.value, 'spec', 'targetNamespace'),
      file: document.path,
      documentIndex: document.index,
    }));
}

/**
 * The Kustomizations that apply `directory`: those whose spec.path is the most specific one containing it, in
 * document order (several Kustomizations may share a path, e.g. one per cluster).
 */
export function coveringKustomizations(
  kustomizations: readonly FluxKustomization[],
  directory: string,
): FluxKustomization[] {
  const containing = kustomizations.filter((kustomization) => isWithin(directory, kustomization.path));
  const longest = Math.max(-1, ...containing.map((kustomization) => kustomization.path.length));
  return containing.filter((kustomization) => kustomization.path.length === longest);
}

/** Warnings about how Flux will apply `directory`; empty when a sops-decrypting Kustomization covers it. */
export function fluxWarnings(documents: readonly ManifestDocument[], directory: string): string[] {
  const kustomizations = findFluxKustomizations(documents);
  if (kustomizations.length === 0) {
    return [
      `No Flux Kustomization (kustomize.toolkit.fluxcd.io) was found in the repository; make sure Flux applies ${directory} with \`decryption.provider: sops\`.`,
    ];
  }
  const covering = coveringKustomizations(kustomizations, directory)[0];
  if (!covering) {
    return [
      `No Flux Kustomization's spec.path contains ${directory}; Flux will not apply the tunnel until one does.`,
    ];
  }
  if (!covering.decryptsSops) {
    return [
      `Flux Kustomization ${covering.namespace}/${covering.name} (${covering.file}) applies ${directory} without \`decryption.provider: sops\`; the credentials Secret will fail with "is SOPS encrypted, configuring decryption is required". Add spec.decryption (provider: sops, secretRef: the age key Secret).`,
    ];
  }
  return [];
}
