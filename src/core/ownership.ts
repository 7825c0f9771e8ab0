import { dirname, field, parseRepository, stringField } from '../gitops/discovery/manifests.js';
import { MANAGED_BY_LABEL } from '../gitops/manifests/tunnel-directory.js';
import type { RepoSnapshot } from './snapshot.js';

/**
 * Whether tunnelbot manages a tunnel directory. The answer comes from structure that `kustomize edit`, YAML
 * formatters and editors keep: a cloudflared Deployment in the directory labelled
 * `app.kubernetes.io/managed-by: tunnelbot`. The `# Managed by tunnelbot.` comment is only a courtesy to readers:
 * tools drop or move comments (kubernetes-sigs/kustomize#2310), and a lost comment must not make the desired state
 * lose the app, which would delete its DNS record and then its running tunnel.
 */
export function isTunnelbotDirectory(snapshot: RepoSnapshot, directory: string): boolean {
  const files = new Map([...snapshot.files].filter(([path]) => dirname(path) === directory));
  return parseRepository({ files }).documents.some(
    ({ value }) =>
      stringField(value, 'kind') === 'Deployment' &&
      (stringField(value, 'apiVersion') ?? '').startsWith('apps/') &&
      field(value, 'metadata', 'labels', MANAGED_BY_LABEL.key) === MANAGED_BY_LABEL.value,
  );
}
