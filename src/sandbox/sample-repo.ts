/**
 * A small GitOps repository shaped like Flux's reference layout (clusters/, apps/base, apps/<env>), with one app,
 * linkding, whose Service the planner discovers. The `.sops.yaml` names the demo's freshly generated age key.
 */
export function sampleRepository(ageRecipient: string): Record<string, string> {
  return {
    '.sops.yaml': `creation_rules:\n  - path_regex: ^apps/.*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${ageRecipient}\n`,
    'clusters/demo/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m0s
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/demo
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
    'apps/demo/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base/linkding
  - tunnels
`,
    'apps/demo/tunnels/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
`,
  };
}
