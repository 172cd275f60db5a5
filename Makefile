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

test: generate ## The full suite: lint, breaking, typecheck, then every test
	$(MAKE) --no-print-directory lint breaking typecheck
	vitest run

up: generate ## Start the whole platform locally: NATS, six services, gateway; Ctrl-C stops it
	tsx scripts/up.ts
