// deploy/base: the kustomize base every overlay builds on, rendered from the manifests by one
// template per kind of workload (a service, the gateway). Each workload's file holds its
// identity (ServiceAccount), Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget
// and Istio traffic rules. The overlays in deploy/overlays/ stay hand-written: they pick images
// and the environment.

import type { Registry } from "@bufbuild/protobuf";
import {
  type App,
  addressVariable,
  clusterGrpcPort,
  clusterTarget,
  derivedGrants,
  gatewayWorkload,
  type ServiceManifest,
  servicesOf,
} from "@weft/mesh/app";
import { generatedHeader, quoted, yamlList } from "./header.ts";
import { workloadNames } from "./workloads.ts";

const sources = "weft.app.yaml and services/*/weft.yaml";

/** Where the image puts the app (Dockerfile WORKDIR): WEFT_APP_DIR of every workload. */
export const imageAppDir = "/app";
/** Where the base lists each workload's file, relative to deploy/base. */
export const workloadFile = (workload: string) => `workloads/${workload}.yaml`;
/** The image of a workload before an overlay's `images:` picks registry and tag. */
export const imageOf = (workload: string) => `weft/${workload}`;
/** The ConfigMaps every workload reads: the mesh runtime's settings (base) and the platform's (overlays). */
export const meshConfigMap = (app: App) => `${app.manifest.name}-mesh`;
export const platformConfigMap = (app: App) => `${app.manifest.name}-platform`;
/** An optional Secret per workload for values that must not be committed (e.g. identity's ADMIN_PASSWORD). */
/** App-wide secret settings every workload shares, e.g. MESH_PAGE_TOKEN_KEY (one key, so every replica accepts the others' page tokens). */
export const meshSecret = (app: App) => `${app.manifest.name}-mesh-secrets`;
export const envSecret = (workload: string) => `${workload}-env`;
/** The Secret with a service's DATABASE_URL (key url), created per environment. */
export const databaseSecret = (service: string) => `${service}-database`;

const host = (app: App, workload: string) => `${workload}.${app.manifest.namespace}.svc.cluster.local`;

interface EnvEntry {
  name: string;
  /** A literal value, or a secretKeyRef. */
  value: string | { secret: string; key: string };
}

function envLines(entries: readonly EnvEntry[]): string {
  return entries
    .map((entry) =>
      typeof entry.value === "string"
        ? `            - { name: ${entry.name}, value: ${quoted(entry.value)} }`
        : [
            `            - name: ${entry.name}`,
            "              valueFrom:",
            `                secretKeyRef: { name: ${entry.value.secret}, key: ${entry.value.key} }`,
          ].join("\n"),
    )
    .join("\n");
}

/** <NAME>_ADDR of each upstream a workload may call, sorted by name. */
function upstreamEnv(app: App, upstreams: Iterable<string>): EnvEntry[] {
  return [...new Set(upstreams)]
    .sort()
    .map((upstream) => ({ name: addressVariable(upstream), value: clusterTarget(app, upstream) }));
}

function settingsEnv(settings: Readonly<Record<string, string>>): EnvEntry[] {
  return Object.entries(settings).map(([name, value]) => ({ name, value }));
}

/** Pod-level pieces both templates share: security context and zone/host spreading. */
function podSecurityAndSpread(workload: string): string {
  return `      securityContext:
        # Numeric, so the kubelet can verify runAsNonRoot (the image's USER is 1000, "node").
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile: { type: RuntimeDefault }
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: { app: ${workload} }
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: { app: ${workload} }`;
}

function serviceAccount(app: App, workload: string, comment: string): string {
  return `${comment}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${workload}
  namespace: ${app.manifest.namespace}
  labels: { app: ${workload} }
# The app never talks to the Kubernetes API (the sidecar mounts its own istio-token).
automountServiceAccountToken: false`;
}

function scaling(app: App, workload: string, maxReplicas: number): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${workload}
  namespace: ${app.manifest.namespace}
  labels: { app: ${workload} }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${workload} }
  minReplicas: 2
  maxReplicas: ${maxReplicas}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: 70 }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${workload}
  namespace: ${app.manifest.namespace}
  labels: { app: ${workload} }
spec:
  maxUnavailable: 1
  selector:
    matchLabels: { app: ${workload}, version: stable }`;
}

function subsets(): string {
  return `  subsets:
    - name: stable
      labels: { version: stable }
    - name: canary
      labels: { version: canary }`;
}

/** A route's stable/canary pair, which `make rollout` moves on every route together. */
function canaryRoute(app: App, workload: string, port?: number): string {
  const destination = (subset: string) =>
    `{ host: ${host(app, workload)}, subset: ${subset}${port === undefined ? "" : `, port: { number: ${port} }`} }`;
  return `      route:
        - destination: ${destination("stable")}
          weight: 100
        - destination: ${destination("canary")}
          weight: 0`;
}

function serviceWorkload(app: App, service: ServiceManifest, registry: Registry): string {
  const { name } = service;
  const ns = app.manifest.namespace;
  const env: EnvEntry[] = [
    ...(service.database ? [{ name: "DATABASE_URL", value: { secret: databaseSecret(name), key: "url" } }] : []),
    ...upstreamEnv(
      app,
      service.calls.map((call) => call.service),
    ),
    ...settingsEnv(service.settings),
  ];
  const streaming = servicesOf(registry, service.implements).flatMap((proto) =>
    proto.methods
      .filter((method) => method.methodKind === "server_streaming")
      .map((m) => `/${proto.typeName}/${m.name}`),
  );
  const streamsRoute =
    streaming.length === 0
      ? ""
      : `    # Server streams live as long as the client watches: no route timeout (0s disables it).
    - name: streams
      match:
${streaming.map((path) => `        - uri: { exact: ${path} }`).join("\n")}
      timeout: 0s
      retries: { attempts: 0 }
${canaryRoute(app, name)}
`;
  return `${generatedHeader(sources)}# ${name}: the service of services/${name}/weft.yaml, in Kubernetes.
${serviceAccount(
  app,
  name,
  `# The ServiceAccount is the workload's mesh identity: Istio issues the pod
# ${app.spiffeId(name)}, which is what istio/authz/*.yaml names.`,
)}
---
# The stable track. \`make rollout\` adds a ${name}-canary Deployment with version: canary next to
# it; the DestinationRule's subsets split the two by that label. version is in the selector
# (fixed value "stable") so the two Deployments never select each other's pods.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name}, version: stable }
spec:
  # No replicas: the HorizontalPodAutoscaler owns the count (a fixed value would reset it on apply).
  revisionHistoryLimit: 5
  selector:
    matchLabels: { app: ${name}, version: stable }
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata:
      labels: { app: ${name}, version: stable }
      annotations:
        # Start the app only once the sidecar is ready (its first upstream calls would fail
        # otherwise), and keep the sidecar draining for as long as the app may still finish
        # calls: MESH_DRAIN_DELAY_MS + MESH_SHUTDOWN_GRACE_MS = 25 s, below the 35 s grace period.
        proxy.istio.io/config: |
          holdApplicationUntilProxyStarts: true
          terminationDrainDuration: 30s
        # Istio merges these app metrics into the sidecar's scrape endpoint (port 15020), so
        # Prometheus scrapes without needing an mTLS client identity or an AuthorizationPolicy.
        prometheus.io/scrape: "true"
        prometheus.io/port: "9464"
        prometheus.io/path: /metrics
    spec:
      serviceAccountName: ${name}
      automountServiceAccountToken: false
      # MESH_DRAIN_DELAY_MS (5 s) + MESH_SHUTDOWN_GRACE_MS (20 s) from ${meshConfigMap(app)}, plus 10 s margin
      # for tini, the process exit and the sidecar; deploy/test checks the arithmetic.
      terminationGracePeriodSeconds: 35
${podSecurityAndSpread(name)}
      containers:
        - name: ${name}
          image: ${imageOf(name)}
          imagePullPolicy: IfNotPresent
          ports:
            - { name: grpc, containerPort: ${clusterGrpcPort}, protocol: TCP }
            - { name: http-metrics, containerPort: 9464, protocol: TCP }
          # The manifest's settings and the upstreams it declares (calls:) are below; values that
          # must not be committed come from the optional Secret ${envSecret(name)}.
          envFrom:
            - configMapRef: { name: ${meshConfigMap(app)} }
            - configMapRef: { name: ${platformConfigMap(app)} }
            - secretRef: { name: ${meshSecret(app)}, optional: true }
            - secretRef: { name: ${envSecret(name)}, optional: true }
${env.length === 0 ? "" : `          env:\n${envLines(env)}\n`}          resources:
            requests: { cpu: 100m, memory: 256Mi }
            # No CPU limit: throttling a Node event loop turns into deadline errors upstream;
            # the memory limit bounds a leak.
            limits: { memory: 512Mi }
          # Native gRPC probes against grpc.health.v1 (the whole server, service ""). Istio's
          # injector rewrites them to go through the sidecar's agent, so STRICT mTLS does not
          # block the kubelet. Startup allows 2 minutes for migrations at first start.
          startupProbe:
            grpc: { port: ${clusterGrpcPort} }
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            grpc: { port: ${clusterGrpcPort} }
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          livenessProbe:
            grpc: { port: ${clusterGrpcPort} }
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      volumes:
        # The only writable path (the image's WEFT_DATA_DIR/MESH_DATA_DIR point below /tmp).
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
---
# ClusterIP, not headless: Istio's VirtualService must see one host to split stable/canary by
# weight; the sidecar balances each request across pods (the client's round_robin sees one VIP).
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  selector: { app: ${name} }
  ports:
    - { name: grpc, port: ${clusterGrpcPort}, targetPort: grpc, protocol: TCP, appProtocol: grpc }
---
${scaling(app, name, 6)}
---
# Traffic rules for ${name}, applied by Istio only (the local mesh ignores these kinds).
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  host: ${host(app, name)}
  trafficPolicy:
    loadBalancer: { simple: LEAST_REQUEST }
    connectionPool:
      tcp: { maxConnections: 1024, connectTimeout: 2s }
      # gRPC multiplexes on HTTP/2: bound concurrent streams, keep connections reused.
      http: { http2MaxRequests: 1024, maxRequestsPerConnection: 0, idleTimeout: 300s }
    # Envoy maps gRPC status to HTTP for ejection: UNAVAILABLE/DEADLINE_EXCEEDED count as
    # gateway errors. Never eject more than half the pods.
    outlierDetection:
      consecutiveGatewayErrors: 5
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionPercent: 50
${subsets()}
---
# One retry layer per hop: in the cluster the Weft mesh client retries (UNAVAILABLE only, only
# idempotent methods or requests with an idempotency key, MESH_RETRY_MAX_ATTEMPTS from
# ${meshConfigMap(app)}), so every route here sets retries.attempts: 0 — without it Istio would add its
# own default of 2 retries on top. \`make rollout\` shifts the weights of every route together.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  hosts: [${host(app, name)}]
  http:
${streamsRoute}    # A backstop only: callers always send a deadline (grpc-timeout), at most
    # MESH_SERVER_TIMEOUT_MS (30 s) when they send none.
    - name: unary
      timeout: 30s
      retries: { attempts: 0 }
${canaryRoute(app, name)}
`;
}

function gatewayWorkloadFile(app: App, registry: Registry): string {
  const name = gatewayWorkload;
  const ns = app.manifest.namespace;
  const port = app.manifest.edge.port;
  const upstreams = derivedGrants(app, registry)
    .filter((grant) => grant.caller === gatewayWorkload)
    .map((grant) => grant.callee);
  const env: EnvEntry[] = [
    { name: "GATEWAY_PORT", value: String(port) },
    { name: "GATEWAY_TIMEOUT_MS", value: "15000" },
    { name: "GATEWAY_CORS_ORIGINS", value: `https://${app.manifest.name}.example.com` },
    // The ingress gateway appends the client's address to X-Forwarded-For; this pod's sidecar does
    // not (use_remote_address is off on sidecars). Add one per proxy in front of the ingress that
    // appends too (an L7 cloud load balancer).
    { name: "GATEWAY_TRUSTED_PROXIES", value: "1" },
    ...upstreamEnv(app, upstreams),
  ];
  return `${generatedHeader(sources)}# gateway: Connect, gRPC-Web, gRPC and REST/JSON on one port (HTTP/1.1 and h2c), calling the
# edge: true services through the same mesh client.
${serviceAccount(
  app,
  name,
  `# Its identity, ${app.spiffeId(name)}, is the principal every
# service's AuthorizationPolicy lets reach its public RPCs.`,
)}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name}, version: stable }
spec:
  # No replicas: the HorizontalPodAutoscaler owns the count.
  revisionHistoryLimit: 5
  selector:
    matchLabels: { app: ${name}, version: stable }
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata:
      labels: { app: ${name}, version: stable }
      annotations:
        proxy.istio.io/config: |
          holdApplicationUntilProxyStarts: true
          terminationDrainDuration: 30s
        prometheus.io/scrape: "true"
        prometheus.io/port: "9464"
        prometheus.io/path: /metrics
    spec:
      serviceAccountName: ${name}
      automountServiceAccountToken: false
      # preStop 5 s (endpoints leave the ingress' load balancer) + in-flight REST calls up to
      # GATEWAY_TIMEOUT_MS (15 s) + mesh close within MESH_SHUTDOWN_GRACE_MS, with margin.
      terminationGracePeriodSeconds: 35
${podSecurityAndSpread(name)}
      containers:
        - name: ${name}
          image: ${imageOf(name)}
          imagePullPolicy: IfNotPresent
          ports:
            - { name: http, containerPort: ${port}, protocol: TCP }
            - { name: http-metrics, containerPort: 9464, protocol: TCP }
          envFrom:
            - configMapRef: { name: ${meshConfigMap(app)} }
            - configMapRef: { name: ${platformConfigMap(app)} }
            - secretRef: { name: ${meshSecret(app)}, optional: true }
          # The upstreams are the services the gateway may call (istio/authz): the edge: true ones.
          env:
${envLines(env)}
          resources:
            requests: { cpu: 200m, memory: 256Mi }
            limits: { memory: 512Mi }
          # The gateway has no drain delay of its own: keep serving while the ingress and the
          # endpoints controller stop sending it new requests, then SIGTERM closes the port.
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sleep", "5"]
          # HTTP probes on the named port; Istio rewrites them through the sidecar's agent.
          # /readyz also checks the upstreams' health, so it is readiness only: a restart would
          # not fix an upstream outage.
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: 30
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
---
# http2: the ingress gateway then speaks HTTP/2 (h2c, prior knowledge) to the pod, which gRPC
# needs end to end; the gateway serves REST and Connect over HTTP/2 as well.
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  selector: { app: ${name} }
  ports:
    - { name: http2, port: ${port}, targetPort: http, protocol: TCP, appProtocol: http2 }
---
${scaling(app, name, 10)}
---
# Subsets for canaries of the gateway; the VirtualService that splits them is the edge one,
# deploy/istio/edge/virtual-service.yaml (traffic reaches the gateway only through the ingress).
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  host: ${host(app, name)}
  trafficPolicy:
    loadBalancer: { simple: LEAST_REQUEST }
    connectionPool:
      tcp: { maxConnections: 4096, connectTimeout: 2s }
      http: { http2MaxRequests: 4096, maxRequestsPerConnection: 0, idleTimeout: 300s }
    # The gateway answers 503/504 when a service behind it fails; ejecting gateway pods for that
    # would only shrink the edge. Eject on its own connection failures only.
    outlierDetection:
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 5
      consecutive5xxErrors: 0
      consecutiveGatewayErrors: 0
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionPercent: 50
${subsets()}
`;
}

function namespaceFile(app: App): string {
  return `${generatedHeader("weft.app.yaml")}# Sidecar injection for every pod of ${app.manifest.name}. Pod Security "restricted" is warn-only: the
# istio-init container needs NET_ADMIN unless Istio is installed with its CNI plugin.
apiVersion: v1
kind: Namespace
metadata:
  name: ${app.manifest.namespace}
  labels:
    istio-injection: enabled
    pod-security.kubernetes.io/warn: restricted
`;
}

function meshConfig(app: App): string {
  const auth = app.manifest.edge.auth;
  return `${generatedHeader("weft.app.yaml")}# The Weft mesh runtime's settings for every workload in the cluster (README, "The mesh runtime").
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${meshConfigMap(app)}
  namespace: ${app.manifest.namespace}
data:
  # The image holds weft.app.yaml and services/*/weft.yaml here: the runtime reads the app from them.
  WEFT_APP_DIR: ${imageAppDir}
  # The sidecar terminates mTLS; the app reads the peer from x-forwarded-client-cert, and only from
  # the sidecar's address. The app binds 0.0.0.0 (Istio forwards inbound traffic to the pod IP), so
  # it refuses to start in istio mode unless told a sidecar is injected: the namespace has
  # istio-injection enabled and deploy/test checks no workload opts out.
  MESH_MTLS: istio
  MESH_SIDECAR_INJECTED: "true"
  MESH_TRUST_DOMAIN: ${app.manifest.trustDomain}
  MESH_NAMESPACE: ${app.manifest.namespace}
  # The image ships istio/ at ${imageAppDir}/istio: the app enforces the same policies as the sidecar.
  MESH_POLICY_DIR: ${imageAppDir}/istio
  GRPC_HOST: 0.0.0.0
  GRPC_PORT: ${quoted(String(clusterGrpcPort))}
  METRICS_PORT: "9464"
  # Drain: health NOT_SERVING for 5 s while Istio and the endpoints controller stop routing to
  # the pod, then up to 20 s for in-flight calls. terminationGracePeriodSeconds (35 s) and the
  # sidecar's terminationDrainDuration (30 s) are sized from these two; deploy/test checks it.
  MESH_DRAIN_DELAY_MS: "5000"
  MESH_SHUTDOWN_GRACE_MS: "20000"
  MESH_CLIENT_TIMEOUT_MS: "10000"
  MESH_SERVER_TIMEOUT_MS: "30000"
  # One retry layer per hop. Inside the cluster it is this client's: it knows which calls are
  # safe (idempotent methods, requests carrying an idempotency_key), which the sidecar cannot
  # see, and it retries within the caller's deadline and circuit breaker. Every in-cluster
  # VirtualService therefore sets retries.attempts: 0. Only the ingress → gateway hop, which
  # has no Weft client, retries in Istio (idempotent routes only).
  MESH_RETRY_MAX_ATTEMPTS: "3"
  LOG_LEVEL: info
${auth === undefined ? "" : `  JWT_ISSUER: ${quoted(auth.issuer)}\n  JWT_AUDIENCE: ${quoted(auth.audience)}\n`}`;
}

function baseKustomization(app: App): string {
  return `${generatedHeader(sources)}# Everything both environments share: the namespace, the mesh runtime's settings, the policies
# the local mesh also enforces (istio/), every workload and the edge. Overlays add the
# environment: ${platformConfigMap(app)} (NATS), the database Secrets, images.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - mesh-config.yaml
  - ../../istio
${yamlList(workloadNames(app).map(workloadFile), 2)}
  - ../istio/ingress
  - ../istio/edge
labels:
  - pairs: { app.kubernetes.io/part-of: weft }
    includeTemplates: true
`;
}

/**
 * Every file of deploy/base, by path relative to the app root: kustomization.yaml, namespace.yaml,
 * mesh-config.yaml and workloads/<workload>.yaml for each service and the gateway.
 */
export function renderKustomizeBases(app: App, registry: Registry): Map<string, string> {
  const files = new Map<string, string>();
  files.set("deploy/base/kustomization.yaml", baseKustomization(app));
  files.set("deploy/base/namespace.yaml", namespaceFile(app));
  files.set("deploy/base/mesh-config.yaml", meshConfig(app));
  for (const service of app.services) {
    files.set(`deploy/base/${workloadFile(service.name)}`, serviceWorkload(app, service, registry));
  }
  files.set(`deploy/base/${workloadFile(gatewayWorkload)}`, gatewayWorkloadFile(app, registry));
  return files;
}
