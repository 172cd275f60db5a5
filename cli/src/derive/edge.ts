// deploy/istio/edge: the cluster's edge in front of the gateway — token verification at the
// ingress (which routes pass without a token: exactly the allow_anonymous RPCs of the edge:
// true services), who may reach the gateway, and the ingress → gateway route with its retry
// rules (only idempotent unary RPCs retry). gateway.yaml (the listener, hosts, TLS) is
// environment and stays hand-written.

import type { Registry } from "@bufbuild/protobuf";
import { type App, gatewayWorkload } from "@weft/mesh/app";
import { generatedHeader, quoted, yamlList } from "./header.ts";
import { edgeRpcs } from "./rpcs.ts";

const dir = "deploy/istio/edge";
const sources = "weft.app.yaml, services/*/weft.yaml (edge:) and the protos";
/** The gateway's own public endpoints besides the transcoded routes (gateway/src/server.ts). */
const openApiPath = "/openapi.json";
const jwksPath = "/.well-known/jwks.json";
/** The ingress gateway's namespace and the Gateway resource the edge route binds to (gateway.yaml). */
export const ingressNamespace = "istio-ingress";
export const ingressGateway = `${ingressNamespace}/weft`;
/** The public host placeholder the hand-written gateway.yaml also uses. */
export const publicHost = (app: App) => `${app.manifest.name}.example.com`;

/** An Istio path pattern for a REST template: exact, or a prefix up to the first {variable}. */
function istioPathOf(template: string): string {
  const variable = template.indexOf("{");
  return variable === -1 ? template : `${template.slice(0, variable)}*`;
}

/** A regex for a REST template: each {variable} one path segment (`**` in it: any rest). */
function regexOf(template: string): string {
  const parts = template.split(/(\{[^}]*\})/);
  const body = parts
    .map((part) =>
      part.startsWith("{") ? (part.includes("**") ? ".+" : "[^/]+") : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return `^${body}$`;
}

const unique = (items: readonly string[]) => [...new Set(items)];

function requestAuthentication(app: App, registry: Registry): string {
  const auth = app.manifest.edge.auth;
  const anonymous = edgeRpcs(app, registry).filter((rpc) => rpc.anonymous);
  const byMethod = new Map<string, string[]>();
  for (const rpc of anonymous) {
    const method = rpc.rest!.method;
    byMethod.set(method, [...(byMethod.get(method) ?? []), istioPathOf(rpc.rest!.template)]);
  }
  byMethod.set("GET", [...(byMethod.get("GET") ?? []), openApiPath]);
  const restRules = [...byMethod.entries()].map(([method, paths]) =>
    [
      `    # Public ${method} routes: the allow_anonymous RPCs' google.api.http routes${method === "GET" ? ", and the API description" : ""}.`,
      "    - to:",
      "        - operation:",
      `            methods: [${method}]`,
      "            paths:",
      yamlList(unique(paths), 14),
    ].join("\n"),
  );
  const grpcRule =
    anonymous.length === 0
      ? []
      : [
          [
            "    # The same RPCs over Connect, gRPC-Web and gRPC (Connect also allows GET for reads).",
            "    - to:",
            "        - operation:",
            "            methods: [GET, POST]",
            "            paths:",
            yamlList(
              anonymous.map((rpc) => rpc.path),
              14,
            ),
          ].join("\n"),
        ];
  const jwksUri =
    auth === undefined
      ? undefined
      : "rpc" in auth.jwks
        ? `http://${gatewayWorkload}.${app.manifest.namespace}.svc.cluster.local:${app.manifest.edge.port}${jwksPath}`
        : auth.jwks.url;
  const verification =
    auth === undefined
      ? `# weft.app.yaml sets no edge.auth: no token is accepted, so only the public routes below pass.
`
      : `# Tokens are verified at the ingress: a request carrying an invalid token is refused (401) even
# on a public route, as the gateway itself does.${"rpc" in auth.jwks ? `\n# The keys come from ${auth.jwks.rpc} through the gateway's public\n# ${jwksPath}; istiod fetches them (see gateway-access.yaml).` : ""}
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: weft-jwt
  namespace: ${ingressNamespace}
spec:
  selector:
    matchLabels: { istio: ingressgateway }
  jwtRules:
    - issuer: ${quoted(auth.issuer)}
      audiences: [${quoted(auth.audience)}]
      jwksUri: ${jwksUri}
      # The gateway verifies the token again and needs it.
      forwardOriginalToken: true
---
`;
  return `${generatedHeader(sources)}${verification}# Without a token, only the routes the contracts mark public pass the ingress: the RPCs with
# option (weft.api.v1.allow_anonymous) = true, by their REST route and their Connect/gRPC path
# (deploy/test checks this list against proto/ both ways).${auth === undefined ? "" : ` Everything else needs a valid\n# token from ${auth.issuer}.`} Being an ALLOW policy, anything not listed is refused.
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: ${ingressNamespace}
spec:
  selector:
    matchLabels: { istio: ingressgateway }
  action: ALLOW
  rules:
${
  auth === undefined
    ? ""
    : `    # Any request with a verified token (issuer/subject).
    - from:
        - source:
            requestPrincipals: [${quoted(`${auth.issuer}/*`)}]
`
}${[...restRules, ...grpcRule].join("\n")}
    # CORS preflights carry no credentials by design; the gateway answers them with headers only.
    - to:
        - operation:
            methods: [OPTIONS]
---
# Health endpoints are for the kubelet (which reaches the pod directly), not the internet;
# DENY is evaluated first, so a token does not open them either.
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: internal-endpoints
  namespace: ${ingressNamespace}
spec:
  selector:
    matchLabels: { istio: ingressgateway }
  action: DENY
  rules:
    - to:
        - operation:
            paths: [/healthz, /readyz]
`;
}

function gatewayAccess(app: App): string {
  const ns = app.manifest.namespace;
  const auth = app.manifest.edge.auth;
  const jwksThroughGateway = auth !== undefined && "rpc" in auth.jwks;
  return `${generatedHeader("weft.app.yaml (edge:)")}# Who may call the Weft gateway. istio/authz/deny-all.yaml covers every workload in ${ns}, the
# gateway included, and this is the gateway's ALLOW policy. It lives here rather than in
# istio/authz/ because its callers (the ingress${jwksThroughGateway ? ", istiod" : ""}) exist only in the cluster.
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${gatewayWorkload}
  namespace: ${ns}
spec:
  selector:
    matchLabels: { app: ${gatewayWorkload} }
  action: ALLOW
  rules:
    # All edge traffic arrives through the ingress gateway, over mTLS.
    - from:
        - source:
            principals: [${quoted(`${app.manifest.trustDomain}/ns/${ingressNamespace}/sa/istio-ingressgateway`)}]
${
  jwksThroughGateway
    ? `    # istiod fetches the JWKS for weft-jwt without a mesh identity: public keys only.
    - to:
        - operation:
            methods: [GET]
            paths: [${jwksPath}]
---
# istiod has no sidecar, so its JWKS fetch is plaintext: the gateway's port accepts it
# (PERMISSIVE), and the policy above still lets a caller without a verified identity reach
# nothing but the public keys. Every other port of the pod stays STRICT.
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: gateway-jwks
  namespace: ${ns}
spec:
  selector:
    matchLabels: { app: ${gatewayWorkload} }
  mtls:
    mode: STRICT
  portLevelMtls:
    ${quoted(String(app.manifest.edge.port))}:
      mode: PERMISSIVE
`
    : ""
}`;
}

function virtualService(app: App, registry: Registry): string {
  const ns = app.manifest.namespace;
  const port = app.manifest.edge.port;
  const rpcs = edgeRpcs(app, registry);
  const host = `${gatewayWorkload}.${ns}.svc.cluster.local`;
  const route = `      route:
        - destination: { host: ${host}, subset: stable, port: { number: ${port} } }
          weight: 100
        - destination: { host: ${host}, subset: canary, port: { number: ${port} } }
          weight: 0`;
  const streams = rpcs.filter((rpc) => rpc.serverStreaming);
  const idempotent = rpcs.filter((rpc) => rpc.idempotent && !rpc.serverStreaming);
  const streamsRoute =
    streams.length === 0
      ? ""
      : `    # Server streams last until the client stops: no timeout, no retry.
    - name: streams
      match:
${streams.map((rpc) => `        - uri: { regex: ${quoted(regexOf(rpc.rest!.template))} }\n        - uri: { exact: ${rpc.path} }`).join("\n")}
      timeout: 0s
      retries: { attempts: 0 }
${route}
`;
  return `${generatedHeader(sources)}# The edge route: ingress → Weft gateway. This hop has no Weft client, so it is the one hop
# where Istio retries — and only requests that are safe to repeat: GETs and the Connect/gRPC
# paths of idempotent unary RPCs (idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT). deploy/test
# checks that every retrying route matches nothing else. \`make rollout SERVICE=gateway\` shifts
# the stable/canary weights of every route together.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${gatewayWorkload}
  namespace: ${ns}
spec:
  hosts: [${publicHost(app)}]
  gateways: [${ingressGateway}]
  http:
${streamsRoute}    - name: idempotent
      match:
        - method: { exact: GET }
${idempotent.map((rpc) => `        - uri: { exact: ${rpc.path} }`).join("\n")}
      # Above GATEWAY_TIMEOUT_MS (15 s), so the gateway's own deadline answers first.
      timeout: 20s
      retries:
        attempts: 2
        retryOn: connect-failure,refused-stream,reset,gateway-error
${route}
    # Everything else may have side effects: one attempt.
    - name: default
      timeout: 20s
      retries: { attempts: 0 }
${route}
`;
}

function kustomization(): string {
  return `${generatedHeader("weft.app.yaml")}# Edge-only Istio resources. They live here, not in istio/, because the local mesh loads every
# file under istio/ and refuses what it cannot enforce (requestPrincipals, ports...), and
# because they concern the cluster's ingress, which has no counterpart off Kubernetes (there the
# gateway verifies tokens itself — it still does in the cluster, this is defence in depth).
# Each file names its namespace: ${ingressNamespace} for what applies to the ingress pods, the app's
# for what applies to the Weft gateway. gateway.yaml is hand-written; the others are generated.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gateway.yaml
  - request-authentication.yaml
  - gateway-access.yaml
  - virtual-service.yaml
`;
}

/** The generated files of deploy/istio/edge, by path relative to the app root. */
export function renderEdge(app: App, registry: Registry): Map<string, string> {
  return new Map([
    [`${dir}/kustomization.yaml`, kustomization()],
    [`${dir}/request-authentication.yaml`, requestAuthentication(app, registry)],
    [`${dir}/gateway-access.yaml`, gatewayAccess(app)],
    [`${dir}/virtual-service.yaml`, virtualService(app, registry)],
  ]);
}
