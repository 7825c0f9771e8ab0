import { yamlQuoted, yamlScalar } from '../yaml-scalar.js';

/**
 * The Flux notification wiring `tunnelbot init` writes: a `generic-hmac` Provider pointing notification-controller
 * at tunnelbot's `POST /webhooks/flux`, an Alert sending it every Kustomization event, and the Secret holding the
 * HMAC token (written only SOPS-encrypted). deploy/flux/notifications holds the same objects for a manual install.
 */

export const NOTIFICATION_FILES = {
  kustomization: 'kustomization.yaml',
  provider: 'provider.yaml',
  alert: 'alert.yaml',
  secret: 'webhook-token.sops.yaml',
} as const;

export const NOTIFICATION_NAMES = {
  provider: 'tunnelbot',
  alert: 'tunnelbot',
  secret: 'tunnelbot-flux-webhook',
} as const;

/** The in-cluster address of deploy/ (Service `tunnelbot` in namespace `tunnelbot`, port 8080). */
export const DEFAULT_WEBHOOK_ADDRESS = 'http://tunnelbot.tunnelbot.svc.cluster.local:8080/webhooks/flux';

export interface FluxNotifications {
  readonly files: ReadonlyMap<string, string>;
  /** The token Secret before encryption; it must never be written as it is. */
  readonly plaintextSecret: string;
}

export function renderFluxNotifications(namespace: string, token: string): FluxNotifications {
  const files = new Map<string, string>([
    [
      NOTIFICATION_FILES.kustomization,
      `# Flux notifications for tunnelbot (written by \`tunnelbot init\`): notification-controller posts every
# Kustomization event to tunnelbot, signed with the token of ${NOTIFICATION_FILES.secret} (SOPS-encrypted).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${NOTIFICATION_FILES.provider}
  - ${NOTIFICATION_FILES.alert}
  - ${NOTIFICATION_FILES.secret}
`,
    ],
    [
      NOTIFICATION_FILES.provider,
      `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: ${NOTIFICATION_NAMES.provider}
  namespace: ${yamlScalar(namespace)}
spec:
  # Signs each event with X-Signature: sha256=<HMAC of the body>; tunnelbot checks it with FLUX_WEBHOOK_TOKEN.
  type: generic-hmac
  address: ${DEFAULT_WEBHOOK_ADDRESS}
  secretRef:
    name: ${NOTIFICATION_NAMES.secret}
`,
    ],
    [
      NOTIFICATION_FILES.alert,
      `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: ${NOTIFICATION_NAMES.alert}
  namespace: ${yamlScalar(namespace)}
spec:
  providerRef:
    name: ${NOTIFICATION_NAMES.provider}
  # info sends successes and errors: tunnelbot reports "live" on ReconciliationSucceeded and failures on errors.
  eventSeverity: info
  eventSources:
    - kind: Kustomization
      name: '*'
`,
    ],
  ]);
  const plaintextSecret = `apiVersion: v1
kind: Secret
metadata:
  name: ${NOTIFICATION_NAMES.secret}
  namespace: ${yamlScalar(namespace)}
type: Opaque
stringData:
  token: ${yamlQuoted(token)}
`;
  return { files, plaintextSecret };
}
