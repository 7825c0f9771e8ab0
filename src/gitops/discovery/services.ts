import { TunnelbotError } from '../../errors.js';
import { dirname, stringField, field, type ManifestDocument } from './manifests.js';

/**
 * Finds the Kubernetes Service an `/expose APP PORT` refers to, to learn its namespace. A Service without
 * `metadata.namespace` gets the `namespace:` of the nearest kustomization.yaml above it, as kustomize would set.
 */

export interface DiscoveredService {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly ports: readonly number[];
  readonly path: string;
}

export type ServiceResolution =
  | {
      readonly found: true;
      readonly namespace: string;
      readonly service: DiscoveredService;
      readonly warnings: string[];
    }
  | { readonly found: false; readonly namespace: string; readonly warnings: string[] };

function kustomizationNamespace(documents: readonly ManifestDocument[], path: string): string | undefined {
  const namespaces = new Map<string, string>();
  for (const document of documents) {
    const file = document.path.split('/').pop();
    if (file !== 'kustomization.yaml' && file !== 'kustomization.yml') continue;
    const namespace = stringField(document.value, 'namespace');
    if (namespace) namespaces.set(dirname(document.path), namespace);
  }
  let directory = dirname(path);
  for (;;) {
    const namespace = namespaces.get(directory);
    if (namespace) return namespace;
    if (directory === '') return undefined;
    directory = dirname(directory);
  }
}

function findServices(documents: readonly ManifestDocument[], name: string): DiscoveredService[] {
  return documents
    .filter(
      (document) =>
        stringField(document.value, 'kind') === 'Service' &&
        stringField(document.value, 'apiVersion') === 'v1' &&
        stringField(document.value, 'metadata', 'name') === name,
    )
    .map((document) => {
      const ports = field(document.value, 'spec', 'ports');
      return {
        name,
        namespace:
          stringField(document.value, 'metadata', 'namespace') ??
          kustomizationNamespace(documents, document.path),
        ports: Array.isArray(ports)
          ? ports
              .map((port) => field(port, 'port'))
              .filter((port): port is number => typeof port === 'number')
          : [],
        path: document.path,
      };
    });
}

/**
 * Resolves the namespace of APP:PORT. An explicit namespace narrows the candidates; several namespaces left
 * is an error asking for one; no Service at all is a warning, since the Service may come from a Helm chart.
 */
export function resolveService(
  documents: readonly ManifestDocument[],
  app: string,
  port: number,
  requestedNamespace: string | undefined,
  defaultNamespace: string,
): ServiceResolution {
  const named = findServices(documents, app).filter(
    (service) => requestedNamespace === undefined || service.namespace === requestedNamespace,
  );
  const withPort = named.filter((service) => service.ports.includes(port));
  const namespaces = [...new Set(withPort.map((service) => service.namespace ?? defaultNamespace))];
  if (namespaces.length > 1) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_AMBIGUOUS_SERVICE',
      `Service "${app}" with port ${port} exists in several namespaces: ${namespaces.sort().join(', ')}.`,
      {
        fix: `Say which one, e.g. \`ns=${namespaces[0]}\` in Slack or \`--ns ${namespaces[0]}\` on the CLI.`,
      },
    );
  }
  if (withPort.length > 0) {
    const service = withPort[0]!;
    const warnings =
      service.namespace === undefined
        ? [
            `Service "${app}" in ${service.path} has no namespace and no kustomization sets one; assuming "${defaultNamespace}".`,
          ]
        : [];
    return { found: true, namespace: service.namespace ?? defaultNamespace, service, warnings };
  }
  const namespace = requestedNamespace ?? defaultNamespace;
  const where = requestedNamespace ? ` in namespace "${requestedNamespace}"` : '';
  const otherPorts = named.flatMap((service) => service.ports);
  const warning =
    named.length > 0
      ? `Service "${app}"${where} (${named.map((service) => service.path).join(', ')}) has port(s) ${[...new Set(otherPorts)].join(', ') || 'none'}, not ${port}; the tunnel will point at port ${port} in namespace "${namespace}" anyway.`
      : `No Service "${app}" with port ${port}${where} was found in the repository's manifests (it may come from a Helm chart); using namespace "${namespace}".`;
  return { found: false, namespace, warnings: [warning] };
}
