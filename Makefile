# Weft's front door. Every target runs on the Node pinned in package.json (node_modules/.bin
# comes first on PATH), so the machine's own Node version does not matter.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install generate lint format breaking typecheck test up bench manifests images rollout rollback

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json $(wildcard */package.json services/*/package.json)
	npm ci
	@touch $@

install: node_modules/.installed ## Install dependencies (npm ci; also generates code)

generate: install ## Generate TypeScript from proto/ into gen/ (buf generate)
	buf generate

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

up: generate ## Start the whole platform locally: NATS, six services, gateway; Ctrl-C stops it
	tsx scripts/up.ts

bench: generate ## Benchmarks P1–P5 side by side (loopback, < 10 min); prints a table, rewrites BENCHMARKS.md
	tsx bench/main.ts

# ---- delivery (Kubernetes + Istio; README "Deploy to Kubernetes with Istio") ----
WORKLOADS := identity catalog inventory orders payments notifications gateway
REGISTRY ?= weft
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

images: ## Build every image, tagged $(REGISTRY)/<name>:$(VERSION) (needs Docker; PUSH=1 pushes)
	@command -v docker >/dev/null || { echo "make images: docker is not installed" >&2; exit 1; }
	for name in $(WORKLOADS); do \
	  dockerfile=services/$$name/Dockerfile; [ $$name = gateway ] && dockerfile=gateway/Dockerfile; \
	  docker build -f $$dockerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	    -t $(REGISTRY)/$$name:$(VERSION) . ; \
	  if [ "$${PUSH:-0}" = 1 ]; then docker push $(REGISTRY)/$$name:$(VERSION); fi; \
	done

manifests: install ## Render every overlay in deploy/overlays to dist/manifests/<overlay>.yaml
	tsx scripts/manifests/render.ts dist/manifests

rollout: ## Canary SERVICE at VERSION: 10 → 50 → 100 % with a gate between steps, then promote
	@case "$(origin VERSION)" in "command line"|environment) ;; *) echo "make rollout: set VERSION=<image tag>" >&2; exit 2;; esac
	scripts/rollout.sh rollout "$(SERVICE)" "$(VERSION)"

rollback: ## Send all of SERVICE's traffic back to stable and remove its canary
	scripts/rollout.sh rollback "$(SERVICE)"
