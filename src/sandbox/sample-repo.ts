/**
 * A small GitOps repository shaped like Flux's reference layout (clusters/, apps/base, apps/<env>), with two apps
 * whose Services the planner discovers: linkding (port 9090) and whoami (port 80). The `.sops.yaml` names the
 * freshly generated age key of the demo or sandbox.
 */
export const SAMPLE_ENVIRONMENT = 'staging';

/** An app of the sample repository: its Service (named like the app, in a namespace of its name) and port. */
export interface SampleApp {
  readonly name: string;
  readonly port: number;
  /** The port's name in the Service, if it has one. */
  readonly portName?: string;
}

export const SAMPLE_APPS: readonly SampleApp[] = [
  { name: 'linkding', port: 9090 },
  { name: 'whoami', port: 80, portName: 'http' },
];

function appFiles(app: SampleApp): Record<string, string> {
  const port = app.portName
    ? `    - name: ${app.portName}\n      port: ${app.port}\n`
    : `    - port: ${app.port}\n`;
  return {
    [`apps/base/${app.name}/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${app.name}
resources:
  - service.yaml
`,
    [`apps/base/${app.name}/service.yaml`]: `apiVersion: v1
kind: Service
metadata:
  name: ${app.name}
spec:
  selector:
    app: ${app.name}
  ports:
${port}`,
  };
}

/** The sample repository; `apps` replaces linkding and whoami (tests that need many apps). */
export function sampleRepository(
  ageRecipient: string,
  apps: readonly SampleApp[] = SAMPLE_APPS,
): Record<string, string> {
  return {
    '.sops.yaml': `creation_rules:\n  - path_regex: ^apps/.*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${ageRecipient}\n`,
    'clusters/staging/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m0s
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/staging
  prune: true
  decryption:
    provider: sops
    secretRef:
      name: sops-age
`,
    ...Object.fromEntries(apps.flatMap((app) => Object.entries(appFiles(app)))),
    'apps/staging/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${apps.map((app) => `  - ../base/${app.name}\n`).join('')}  - tunnels
`,
    'apps/staging/tunnels/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
`,
  };
}
