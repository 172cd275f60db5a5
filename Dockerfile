# syntax=docker/dockerfile:1
# Every Weft workload of this app, one image per SERVICE (a folder of services/ with a
# weft.yaml, or gateway). Build from the app root; `make images` builds them all:
#   docker build --build-arg SERVICE=<name> --build-arg VERSION=0.1.0 -t weft/<name>:0.1.0 .
# The images hold no state (it lives in each service's PostgreSQL and in NATS), run as uid 1000
# and work with a read-only root filesystem (scratch under /tmp). Each image carries the app's
# manifests (weft.app.yaml, services/*/weft.yaml) at /app = WEFT_APP_DIR and the policies the
# runtime enforces itself (istio/).

ARG NODE_IMAGE=node:24-slim

# ---- build: the whole app (minus .dockerignore), every workspace with dev tools, generated code ----
FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service or gateway>" >&2; exit 1; }
WORKDIR /app
# No package.json copied by hand: npm ci checks every workspace of the lockfile, so the build
# stage takes the app as it is. The npm cache mount keeps reinstalls fast when sources change.
COPY . .
# npm ci runs the root `prepare` script (buf generate into gen/); the descriptors the gateway
# and the manifest checks read come from buf build, as `weft generate` does.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund \
  && node_modules/.bin/buf build -o gen/weft.binpb --exclude-source-info
# The workload as one JavaScript bundle with its source map (`weft build`, what `weft dev` runs too):
# no TypeScript is compiled at run time. Its modules find their files (migrations, JSON schemas,
# .proto files of dependencies) at their paths under /app, which the runtime image keeps.
RUN node --conditions=weft-source --import tsx cli/src/bin.ts build "${SERVICE}" --out /out/build
# What the runtime image gets, assembled under /out: the bundle, the workload's folder, mesh,
# generated code, manifests and policies; then, under /deps, the production dependencies of that
# workspace only (the packages the bundle leaves out or reads files of), from every workspace's package.json.
RUN --mount=type=cache,target=/root/.npm set -eu; \
  case "${SERVICE}" in gateway) dir=gateway ;; *) dir="services/${SERVICE}" ;; esac; \
  test -f "${dir}/package.json" || { echo "no workload ${SERVICE}: ${dir}/package.json is missing" >&2; exit 1; }; \
  [ "${SERVICE}" = gateway ] || test -f "${dir}/weft.yaml" || { echo "${dir} has no weft.yaml" >&2; exit 1; }; \
  mkdir -p /out/app /deps; \
  cp --parents -r package.json package-lock.json tsconfig.json gen mesh istio weft.app.yaml services/*/weft.yaml \
    "${dir}" /out/app/; \
  cp "/out/build/${SERVICE}/main.mjs" "/out/build/${SERVICE}/main.mjs.map" /out/app/; \
  find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /deps/ \; ; \
  cp package-lock.json /deps/; \
  cd /deps && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace="${dir}"

# ---- runtime ----
FROM ${NODE_IMAGE}
ARG SERVICE
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="weft-${SERVICE}" \
      org.opencontainers.image.description="Weft workload ${SERVICE}" \
      org.opencontainers.image.source="https://github.com/weft/weft" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# tini as PID 1: forwards SIGTERM so the workload drains gracefully, and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Nothing is written next to the code. State belongs in PostgreSQL (DATABASE_URL) and NATS; local
# scratch goes under /tmp, which a read-only deployment mounts as an emptyDir. Under Istio set
# MESH_MTLS=istio (deploy/base does).
ENV NODE_ENV=production \
    WEFT_APP_DIR=/app \
    WEFT_WORKLOAD=${SERVICE} \
    GRPC_PORT=50051 \
    GATEWAY_PORT=8080 \
    GATEWAY_OPENAPI_PATH=/app/gen/openapi/weft.openapi.json \
    MESH_POLICY_DIR=/app/istio \
    MESH_DATA_DIR=/tmp/weft/mesh \
    WEFT_DATA_DIR=/tmp/weft
COPY --from=build --chown=root:root /deps/node_modules node_modules/
COPY --from=build --chown=root:root /out/app/ ./
# node_modules/@weft/mesh is npm's workspace link to ../../mesh, copied above. Numeric user, so
# Kubernetes can verify runAsNonRoot (uid 1000 is the image's `node` user).
USER 1000:1000
# Services serve gRPC on 50051, the gateway HTTP on 8080.
EXPOSE 50051 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
# node itself (no wrapper between tini and the workload, so SIGTERM reaches it directly) on the
# workload's bundle; the source map makes stack traces name the .ts files and lines.
CMD ["node", "--enable-source-maps", "main.mjs"]
