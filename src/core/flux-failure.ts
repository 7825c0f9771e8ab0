/**
 * What a Flux failure means for a tunnelbot change, and what to do about it. Flux's messages are long and written
 * for Kubernetes experts; the known causes of a failed tunnel get a plain reason and the fix, matched on the
 * message formats kustomize-controller emits (see docs/flux.md). Unknown failures keep Flux's own words.
 */

export interface FluxFailureHint {
  readonly cause: string;
  readonly fix: string;
}

interface KnownCause {
  readonly cause: string;
  readonly matches: (reason: string, message: string) => boolean;
  /** Built from Flux's message when it names what to look at, so the fix is a command to run as it stands. */
  readonly fix: string | ((message: string) => string);
}

const AGE_SECRET_COMMAND =
  '`kubectl create secret generic sops-age --namespace=flux-system --from-file=age.agekey=./age.agekey`, run where ' +
  'age.agekey is the private key file `age-keygen -o age.agekey` wrote';

const KNOWN_CAUSES: readonly KnownCause[] = [
  {
    // flux2#5154: a key named age.key or keys.txt is ignored, so sops falls back to a keys file that is not there.
    matches: (_reason, message) =>
      /failed to load age identities|\.config\/sops\/age\/keys\.txt/i.test(message),
    cause: 'Flux found no age identity: the entry of the decryption Secret does not end in `.agekey`.',
    fix: `Recreate the Secret with the key file under a name ending in .agekey: ${AGE_SECRET_COMMAND}.`,
  },
  {
    matches: (_reason, message) =>
      /secrets? "[^"]+" not found/i.test(message) && /decrypt|sops/i.test(message),
    cause: 'The decryption Secret named by the Kustomization does not exist.',
    fix: `Create it: ${AGE_SECRET_COMMAND}.`,
  },
  {
    matches: (_reason, message) => /configuring decryption is required/i.test(message),
    cause: 'The Flux Kustomization that applies the tunnel does not decrypt SOPS files.',
    fix: 'Add `decryption: {provider: sops, secretRef: {name: sops-age}}` to that Kustomization (`tunnelbot init` does it).',
  },
  {
    matches: (_reason, message) =>
      /Failed to get the data key|no identity matched|cannot get sops data key/i.test(message),
    cause: "Flux's age key cannot decrypt the tunnel credentials: they were encrypted for another recipient.",
    fix: "Make the repository's .sops.yaml rule for the tunnel path name the public key of Flux's age key, then unexpose and expose the app again (`/unexpose` and `/expose` in Slack, `tunnelbot unexpose` and `tunnelbot expose`).",
  },
  {
    matches: (reason, message) =>
      reason === 'HealthCheckFailed' && /Deployment\/[^/\s]+\/cloudflared/i.test(message),
    cause: 'cloudflared did not become ready: it cannot reach Cloudflare or its credentials are refused.',
    fix: (message) => {
      const [, namespace, name] = /Deployment\/([^/\s]+)\/(cloudflared[^\s,'"\]]*)/i.exec(message) ?? [];
      return `Look at the pod logs: \`kubectl logs -n ${namespace} deploy/${name}\`; the tunnel stays closed until it connects.`;
    },
  },
  {
    matches: (reason, message) => reason === 'HealthCheckFailed' || /timeout waiting for/i.test(message),
    cause: 'A workload Flux applied did not become ready in time.',
    fix: 'Check the named resource with `kubectl describe`; the Service of the app must exist and answer on its port.',
  },
];

/** The plain reason and fix for a known Flux failure, or undefined when Flux's own message is all there is. */
export function explainFluxFailure(reason: string, message: string): FluxFailureHint | undefined {
  const known = KNOWN_CAUSES.find((cause) => cause.matches(reason, message));
  return known && { cause: known.cause, fix: typeof known.fix === 'string' ? known.fix : known.fix(message) };
}
