import { stringify } from 'yaml';
import { yamlQuoted, yamlScalar } from '../yaml-scalar.js';

/**
 * Renders the directory that runs one cloudflared tunnel with Flux: a kustomization, a hardened Deployment, the
 * cloudflared config (turned into a ConfigMap by a configMapGenerator, so its content hash is part of the
 * ConfigMap name and pods roll when the config changes: cloudflared never reloads its config), and the plaintext
 * credentials Secret, which the caller encrypts with SOPS before it goes anywhere.
 */

/** A courtesy for people reading the files; ownership is read from the label below, which formatters keep. */
export const MANAGED_MARKER = '# Managed by tunnelbot.';
/** The label every object tunnelbot renders carries; its presence on a Deployment is what makes a directory ours. */
export const MANAGED_BY_LABEL = { key: 'app.kubernetes.io/managed-by', value: 'tunnelbot' } as const;
const CREDENTIALS_FILE = '/etc/cloudflared/creds/credentials.json';
export const METRICS_PORT = 2000;

export const TUNNEL_FILES = {
  kustomization: 'kustomization.yaml',
  deployment: 'deployment.yaml',
  config: 'config.yaml',
  secret: 'secret.sops.yaml',
} as const;

export interface IngressTarget {
  readonly hostname: string;
  readonly service: string;
  readonly originRequest?: Record<string, unknown>;
}

export interface TunnelDirectoryInput {
  /** Base name of the Kubernetes objects, e.g. `cloudflared-linkding`. */
  readonly name: string;
  readonly namespace: string;
  readonly environment: string;
  /** The app for a per-app tunnel; absent for an environment's shared tunnel. */
  readonly app?: string;
  readonly tunnelId: string;
  readonly image: string;
  readonly rules: readonly IngressTarget[];
}

export interface RenderedTunnelDirectory {
  /** File name (inside the directory) to content, except the Secret. */
  readonly files: ReadonlyMap<string, string>;
  /** The Secret manifest before encryption; it holds the tunnel secret and must never be written as is. */
  readonly plaintextSecret: string;
}

/** The labels a selector matches on; every object's labels start with them. */
function selectorLabelLines(input: TunnelDirectoryInput): string[] {
  return [`app.kubernetes.io/name: cloudflared`, `app.kubernetes.io/instance: ${yamlScalar(input.name)}`];
}

function indented(lines: readonly string[], indent: string): string {
  return lines.map((line) => `${indent}${line}`).join('\n');
}

function labels(input: TunnelDirectoryInput, indent: string): string {
  return indented(
    [
      ...selectorLabelLines(input),
      `${MANAGED_BY_LABEL.key}: ${MANAGED_BY_LABEL.value}`,
      `tunnelbot.dev/environment: ${yamlScalar(input.environment)}`,
      ...(input.app ? [`tunnelbot.dev/app: ${yamlScalar(input.app)}`] : []),
    ],
    indent,
  );
}

function selectorLabels(input: TunnelDirectoryInput, indent: string): string {
  return indented(selectorLabelLines(input), indent);
}

export function secretName(name: string): string {
  return `${name}-credentials`;
}

function describe(input: TunnelDirectoryInput): string {
  return input.app
    ? `Cloudflare Tunnel for ${input.app} (environment ${input.environment}).`
    : `Shared Cloudflare Tunnel of environment ${input.environment}.`;
}

function renderKustomization(input: TunnelDirectoryInput): string {
  return `${MANAGED_MARKER} ${describe(input)}
# Change it with /expose and /unexpose in Slack so DNS and the tunnel stay in step with this directory.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${yamlScalar(input.namespace)}
resources:
  - ${TUNNEL_FILES.deployment}
  - ${TUNNEL_FILES.secret}
configMapGenerator:
  - name: ${yamlScalar(input.name)}
    files:
      - ${TUNNEL_FILES.config}
`;
}

function renderOriginRequest(originRequest: Record<string, unknown>): string {
  const body = stringify(originRequest, { indent: 2, lineWidth: 0 });
  return `    originRequest:\n${body.replace(/^(?=.)/gm, '      ')}`;
}

function renderCloudflaredConfig(input: Pick<TunnelDirectoryInput, 'tunnelId' | 'rules'>): string {
  const rules = input.rules
    .map(
      (rule) =>
        `  - hostname: ${yamlScalar(rule.hostname)}\n    service: ${yamlScalar(rule.service)}\n` +
        (rule.originRequest ? renderOriginRequest(rule.originRequest) : ''),
    )
    .join('');
  return `${MANAGED_MARKER}
tunnel: ${yamlScalar(input.tunnelId)}
credentials-file: ${CREDENTIALS_FILE}
metrics: 0.0.0.0:${METRICS_PORT}
no-autoupdate: true
ingress:
${rules}  - service: http_status:404
`;
}

function renderDeployment(input: TunnelDirectoryInput): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${yamlScalar(input.name)}
  labels:
${labels(input, '    ')}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
${selectorLabels(input, '      ')}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
${labels(input, '        ')}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
        sysctls:
          # Lets the non-root user send ICMP through the tunnel (cloudflared's Kubernetes guide).
          - name: net.ipv4.ping_group_range
            value: "65532 65532"
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
${selectorLabels(input, '                    ')}
      containers:
        - name: cloudflared
          image: ${yamlScalar(input.image)}
          args:
            - tunnel
            - --config
            - /etc/cloudflared/config/config.yaml
            - run
          ports:
            - name: metrics
              containerPort: ${METRICS_PORT}
          livenessProbe:
            httpGet:
              path: /ready
              port: metrics
            initialDelaySeconds: 10
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /ready
              port: metrics
            periodSeconds: 5
            failureThreshold: 2
          resources:
            requests:
              cpu: 10m
              memory: 64Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop:
                - ALL
          volumeMounts:
            - name: config
              mountPath: /etc/cloudflared/config
              readOnly: true
            - name: creds
              mountPath: /etc/cloudflared/creds
              readOnly: true
      volumes:
        - name: config
          configMap:
            name: ${yamlScalar(input.name)}
            items:
              - key: config.yaml
                path: config.yaml
        - name: creds
          secret:
            secretName: ${yamlScalar(secretName(input.name))}
`;
}

function renderPlaintextSecret(
  input: TunnelDirectoryInput,
  credentials: { AccountTag: string; TunnelSecret: string; TunnelID: string; Endpoint: string },
): string {
  // Key order is the credentials file's own (AccountTag, TunnelSecret, TunnelID, Endpoint); quoted, the JSON
  // text stays a YAML string whatever it contains.
  const json = JSON.stringify({
    AccountTag: credentials.AccountTag,
    TunnelSecret: credentials.TunnelSecret,
    TunnelID: credentials.TunnelID,
    Endpoint: credentials.Endpoint,
  });
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${yamlScalar(secretName(input.name))}
  labels:
${labels(input, '    ')}
type: Opaque
stringData:
  credentials.json: ${yamlQuoted(json)}
`;
}

export function renderTunnelDirectory(
  input: TunnelDirectoryInput,
  credentials: { AccountTag: string; TunnelSecret: string; TunnelID: string; Endpoint: string },
): RenderedTunnelDirectory {
  return {
    files: new Map([
      [TUNNEL_FILES.kustomization, renderKustomization(input)],
      [TUNNEL_FILES.deployment, renderDeployment(input)],
      [TUNNEL_FILES.config, renderCloudflaredConfig(input)],
    ]),
    plaintextSecret: renderPlaintextSecret(input, credentials),
  };
}
