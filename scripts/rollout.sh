#!/usr/bin/env bash
# Canary rollouts of one Weft workload with kubectl and istioctl (README, "Deploy to Kubernetes
# with Istio").
#
#   scripts/rollout.sh rollout <service> <version>   canary 10 → 50 → 100 %, gate between steps, promote
#   scripts/rollout.sh rollback <service>            all traffic to stable, canary removed
#                                                    (no canary: undo the last promotion)
#
# How the pieces fit: the stable Deployment <service> has pods labelled version=stable, the
# canary Deployment <service>-canary (created here from the stable one, with the new image)
# version=canary; the service's DestinationRule defines subsets stable/canary on that label and
# its VirtualService carries a stable/canary weight pair on every route, which this script moves.
#
# The gate between steps: with PROMETHEUS_URL set, the canary's server-side error ratio over
# GATE_WINDOW (default 2m) from Istio's istio_requests_total must stay ≤ MAX_ERROR_RATE (default
# 0.01) with at least MIN_REQUESTS (default 20) requests seen; without it, an interactive
# confirmation; with neither (CI, no TTY) the script refuses rather than promote unchecked.
# A failed gate rolls back.
set -euo pipefail

NAMESPACE="${NAMESPACE:-shop}"
STEPS="${STEPS:-10 50 100}"
STEP_WAIT="${STEP_WAIT:-120}"          # seconds of traffic at each weight before the gate
GATE_WINDOW="${GATE_WINDOW:-2m}"
MAX_ERROR_RATE="${MAX_ERROR_RATE:-0.01}"
MIN_REQUESTS="${MIN_REQUESTS:-20}"
# The app's workloads (services/*/weft.yaml and the gateway), read from the manifests.
WORKLOADS="${WORKLOADS:-$(cd "$(dirname "$0")/.." && node_modules/.bin/tsx cli/src/derive/print-workloads.ts)}"

die() { echo "rollout: $*" >&2; exit 1; }
log() { echo "rollout: $*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not on PATH ($2)"
}

usage() {
  die "usage: $0 rollout <service> <version> | $0 rollback <service> (service: ${WORKLOADS// /, })"
}

check_service() {
  [[ -n "${1:-}" && " $WORKLOADS " == *" $1 "* ]] || usage
}

preflight() {
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  need istioctl "install it: curl -sL https://istio.io/downloadIstioctl | sh -"
  need node "the repository's toolchain; used to read Prometheus' JSON"
  kubectl get namespace "$NAMESPACE" >/dev/null || die "namespace $NAMESPACE not found (apply dist/manifests first)"
  # Refuse to shift traffic on a mesh configuration Istio itself reports as broken.
  log "istioctl analyze -n $NAMESPACE"
  istioctl analyze -n "$NAMESPACE" --failure-threshold Error || die "istioctl analyze reports errors; fix them first"
}

# The VirtualService routes must each be [stable, canary]; checked before any patch so a
# hand-edited VirtualService is never half-patched.
route_count() {
  local service="$1" subsets expected=""
  subsets="$(kubectl -n "$NAMESPACE" get virtualservice "$service" \
    -o jsonpath='{range .spec.http[*]}{.route[0].destination.subset},{.route[1].destination.subset};{end}')"
  [[ -n "$subsets" ]] || die "VirtualService $service has no http routes"
  local count
  count="$(tr -cd ';' <<<"$subsets" | wc -c)"
  for ((i = 0; i < count; i++)); do expected+="stable,canary;"; done
  [[ "$subsets" == "$expected" ]] || die "VirtualService $service routes must each be [stable, canary], got $subsets"
  echo "$count"
}

set_weight() {
  local service="$1" canary="$2" count patch="[" i
  count="$(route_count "$service")"
  for ((i = 0; i < count; i++)); do
    [[ $i -gt 0 ]] && patch+=","
    patch+="{\"op\":\"replace\",\"path\":\"/spec/http/$i/route/0/weight\",\"value\":$((100 - canary))},"
    patch+="{\"op\":\"replace\",\"path\":\"/spec/http/$i/route/1/weight\",\"value\":$canary}"
  done
  patch+="]"
  kubectl -n "$NAMESPACE" patch virtualservice "$service" --type=json -p "$patch" >/dev/null
  log "$service: stable $((100 - canary)) % / canary $canary %"
}

prometheus_scalar() {
  curl -fsS --get "$PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;console.log(r.length?r[0].value[1]:"0")})'
}

# Server-side errors only: HTTP 5xx, or gRPC UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED,
# INTERNAL, UNAVAILABLE, DATA_LOSS (client errors such as NOT_FOUND are the caller's).
gate() {
  local service="$1" weight="$2"
  if [[ -n "${PROMETHEUS_URL:-}" ]]; then
    need curl "to query Prometheus"
    local selector="reporter=\"destination\",destination_workload_namespace=\"$NAMESPACE\",destination_workload=\"$service-canary\""
    local total errors
    total="$(prometheus_scalar "sum(increase(istio_requests_total{$selector}[$GATE_WINDOW]))")"
    errors="$(prometheus_scalar "(sum(increase(istio_requests_total{$selector,response_code=~\"5..\"}[$GATE_WINDOW])) or vector(0)) + (sum(increase(istio_requests_total{$selector,response_code!~\"5..\",grpc_response_status=~\"2|4|12|13|14|15\"}[$GATE_WINDOW])) or vector(0))")"
    log "gate at $weight %: $errors errors in $total requests over $GATE_WINDOW (max ratio $MAX_ERROR_RATE)"
    node -e '
      const [total, errors, max, min] = process.argv.slice(1).map(Number);
      if (!(total >= min)) { console.error(`rollout: too little traffic to judge (${total} < ${min} requests)`); process.exit(1); }
      process.exit(errors / total <= max ? 0 : 1);
    ' "$total" "$errors" "$MAX_ERROR_RATE" "$MIN_REQUESTS"
    return
  fi
  if [[ -t 0 && -t 1 ]]; then
    local answer
    read -r -p "rollout: canary of $service at $weight %. Healthy, continue? [y/N] " answer
    [[ "$answer" == y || "$answer" == Y ]]
    return
  fi
  die "no gate available: set PROMETHEUS_URL, or run in a terminal to confirm each step (refusing to promote unchecked)"
}

rollback() {
  local service="$1"
  check_service "$service"
  preflight
  if kubectl -n "$NAMESPACE" get deployment "$service-canary" >/dev/null 2>&1; then
    set_weight "$service" 0
    kubectl -n "$NAMESPACE" delete deployment "$service-canary" --wait=true
    log "$service: canary removed, all traffic on stable"
  else
    log "$service: no canary; undoing the last promotion of the stable Deployment"
    kubectl -n "$NAMESPACE" rollout undo deployment "$service"
    kubectl -n "$NAMESPACE" rollout status deployment "$service" --timeout=10m
  fi
}

rollout() {
  local service="$1" version="${2:-}"
  check_service "$service"
  [[ -n "$version" ]] || usage
  preflight
  kubectl -n "$NAMESPACE" get deployment "$service-canary" >/dev/null 2>&1 &&
    die "a canary of $service is already running; finish it or run make rollback SERVICE=$service"
  local image
  image="$(kubectl -n "$NAMESPACE" get deployment "$service" -o jsonpath='{.spec.template.spec.containers[0].image}')"
  local new_image="${image%:*}:$version"
  [[ "$image" == *@* ]] && new_image="${image%@*}:$version"
  log "$service: $image → $new_image"

  # The canary: the stable Deployment with version=canary, its own name and the new image; no
  # HPA, one replica (DestinationRule subsets split by label, not by pod count).
  kubectl -n "$NAMESPACE" get deployment "$service" -o json |
    node -e '
      const [service, image] = process.argv.slice(1);
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const d = JSON.parse(s);
        const meta = { name: `${service}-canary`, namespace: d.metadata.namespace, labels: { ...d.metadata.labels, version: "canary" } };
        const spec = d.spec;
        spec.replicas = 1;
        spec.selector.matchLabels.version = "canary";
        spec.template.metadata.labels.version = "canary";
        spec.template.metadata.labels["app.kubernetes.io/version"] = image.split(":").pop();
        spec.template.spec.containers[0].image = image;
        console.log(JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: meta, spec }));
      });
    ' "$service" "$new_image" |
    kubectl apply -f -
  kubectl -n "$NAMESPACE" rollout status deployment "$service-canary" --timeout=10m ||
    { log "canary did not become ready"; rollback "$service"; exit 1; }

  for weight in $STEPS; do
    set_weight "$service" "$weight"
    log "waiting ${STEP_WAIT}s of traffic at $weight %"
    sleep "$STEP_WAIT"
    if ! gate "$service" "$weight"; then
      log "gate failed at $weight %: rolling back"
      rollback "$service"
      exit 1
    fi
  done

  # Promote: the canary carries 100 %, so the stable Deployment can roll to the new image
  # unobserved; then traffic returns to it and the canary goes.
  kubectl -n "$NAMESPACE" set image deployment "$service" "$service=$new_image"
  kubectl -n "$NAMESPACE" patch deployment "$service" --type=merge \
    -p "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app.kubernetes.io/version\":\"$version\"}}}}}"
  kubectl -n "$NAMESPACE" rollout status deployment "$service" --timeout=10m ||
    die "stable Deployment did not roll out; traffic stays on the canary — investigate, then make rollback SERVICE=$service"
  set_weight "$service" 0
  kubectl -n "$NAMESPACE" delete deployment "$service-canary" --wait=true
  log "$service promoted to $version"
}

case "${1:-}" in
  rollout) rollout "${2:-}" "${3:-}" ;;
  rollback) rollback "${2:-}" ;;
  *) usage ;;
esac
