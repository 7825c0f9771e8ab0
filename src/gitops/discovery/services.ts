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
 * is an error asking for one; a Service of that name without the port is an error naming its ports; no Service at
 * all is a warning, since the Service may come from a Helm chart.
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
        fix: `Say which one: \`ns=${namespaces[0]}\` in Slack, \`--namespace ${namespaces[0]}\` with \`tunnelbot expose\`, \`--ns ${namespaces[0]}\` with \`tunnelbot plan\`.`,
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
  if (named.length > 0) {
    // The Service is there, only not on that port: planning on would write a tunnel to a port nothing serves.
    const described = named.map((service) => {
      const ports = [...new Set(service.ports)];
      const portText =
        ports.length === 0 ? 'no ports' : `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
      return `${app} in namespace ${service.namespace ?? defaultNamespace} has ${portText}`;
    });
    const suggestion = named.flatMap((service) => service.ports)[0];
    throw new TunnelbotError('TB_ERR_PLAN_SERVICE_PORT', `${described.join('; ')}, not ${port}.`, {
      details: { services: named.map((service) => service.path) },
      ...(suggestion !== undefined && {
        fix: `Ask for a port the Service has, e.g. \`/expose ${app} ${suggestion}\` in Slack or \`tunnelbot expose ${app} ${suggestion}\`; or add port ${port} to the Service first.`,
      }),
    });
  }
  const namespace = requestedNamespace ?? defaultNamespace;
  const where = requestedNamespace ? ` in namespace "${requestedNamespace}"` : '';
  const warning = `No Service "${app}" with port ${port}${where} was found in the repository's manifests (it may come from a Helm chart); using namespace "${namespace}".`;
  return { found: false, namespace, warnings: [warning] };
}
