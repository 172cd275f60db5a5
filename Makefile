# Weft's front door. Every target runs on the Node pinned in package.json (node_modules/.bin
# comes first on PATH), so the machine's own Node version does not matter.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# The targets are thin calls to the weft CLI (cli/, README "The weft CLI"). Inside this repository
# it runs from its TypeScript sources (the "weft-source" export condition); the workloads `weft dev`
# starts run as JavaScript bundles it builds itself under .data/build, only when stale: nothing to
# build first. An app outside the repository runs the installed, built `weft`.
WEFT := node --conditions=weft-source --import tsx cli/src/bin.ts
TSX := node --conditions=weft-source --import tsx

.PHONY: help install generate build lint format breaking typecheck test up bench manifests images rollout rollback

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json $(wildcard */package.json services/*/package.json)
	npm ci
	@touch $@

install: node_modules/.installed ## Install dependencies (npm ci; also generates code)

generate: install ## Generate code from the protos (mesh's own, then weft generate: gen/ and gen/weft.binpb)
	npm run --silent generate

build: generate ## Build @weft/mesh, @weft/gateway and @weft/cli to dist/ (what npm pack ships)
	npm run --silent build

lint: install ## buf lint and Biome
	buf lint
	biome check .

format: install ## Format proto/ and the TypeScript sources in place
	buf format -w
	biome check --write .

breaking: install ## Fail on wire-incompatible changes to proto/ (see scripts/breaking.sh)
	scripts/breaking.sh

typecheck: generate ## Type-check every workspace and the generated code
	tsc --noEmit -p .
	tsc --noEmit -p console/web

test: generate ## The full suite: lint, breaking, typecheck, then every test
	$(MAKE) --no-print-directory lint breaking typecheck
	vitest run

up: generate ## weft dev: NATS, every service of the manifests, the gateway, the demo seed; Ctrl-C stops it
	$(WEFT) dev

bench: generate ## Benchmarks P1–P5 side by side (loopback, < 10 min); prints a table, rewrites BENCHMARKS.md
	$(TSX) bench/main.ts

# ---- delivery (Kubernetes + Istio; README "Deploy to Kubernetes with Istio") ----
# The app's services (services/*/weft.yaml) and the gateway, read from the manifests.
WORKLOADS = $(shell $(WEFT) workloads)
REGISTRY ?= weft
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

images: install ## Build every image from the one Dockerfile, tagged $(REGISTRY)/<name>:$(VERSION) (needs Docker; PUSH=1 pushes)
	@command -v docker >/dev/null || { echo "make images: docker is not installed" >&2; exit 1; }
	for name in $(WORKLOADS); do \
	  docker build --build-arg SERVICE=$$name --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	    -t $(REGISTRY)/$$name:$(VERSION) . ; \
	  if [ "$${PUSH:-0}" = 1 ]; then docker push $(REGISTRY)/$$name:$(VERSION); fi; \
	done

manifests: generate ## weft manifests (istio/authz, kustomize bases from the manifests), then render every overlay to dist/manifests/
	$(WEFT) manifests
	$(TSX) scripts/manifests/render.ts dist/manifests

rollout: ## Canary SERVICE at VERSION: 10 → 50 → 100 % with a gate between steps, then promote
	@case "$(origin VERSION)" in "command line"|environment) ;; *) echo "make rollout: set VERSION=<image tag>" >&2; exit 2;; esac
	$(WEFT) rollout "$(SERVICE)" "$(VERSION)"

rollback: ## Send all of SERVICE's traffic back to stable and remove its canary
	$(WEFT) rollback "$(SERVICE)"
