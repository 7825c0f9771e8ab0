/**
 * A small GitOps repository shaped like Flux's reference layout (clusters/, apps/base, apps/<env>), with two apps
 * whose Services the planner discovers: linkding (port 9090) and whoami (port 80). The `.sops.yaml` names the
 * freshly generated age key of the demo or sandbox.
 */
export const SAMPLE_ENVIRONMENT = 'staging';

export function sampleRepository(ageRecipient: string): Record<string, string> {
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
    'apps/base/linkding/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: linkding
resources:
  - service.yaml
`,
    'apps/base/linkding/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: linkding
spec:
  selector:
    app: linkding
  ports:
    - port: 9090
`,
    'apps/base/whoami/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: whoami
resources:
  - service.yaml
`,
    'apps/base/whoami/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: whoami
spec:
  selector:
    app: whoami
  ports:
    - name: http
      port: 80
`,
    'apps/staging/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base/linkding
  - ../base/whoami
  - tunnels
`,
    'apps/staging/tunnels/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
`,
  };
}
