# The README's two commands: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/sh
NPM_STAMP := node_modules/.package-lock.json

.PHONY: all deps system-deps build deb typecheck lint format test test-unit demo bench conformance fuzz soak clean

all: build

system-deps:
	@scripts/install-system-deps.sh

# npm writes node_modules/.package-lock.json on every install: rebuild when the lock file is newer.
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

deps: system-deps $(NPM_STAMP)

build: $(NPM_STAMP)
	node scripts/build.mjs

# The Debian package, dist/deb/cni-zones_<version>_amd64.deb (packaging/main.ts). Remade only when
# what it is made from changed: the executable's sources and the packaging's own files. The build
# (always run, ~5 s) only has to happen first, so it is order-only.
DEB_VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
DEB := dist/deb/cni-zones_$(DEB_VERSION)_amd64.deb
DEB_INPUTS := $(shell find lib plugins cli packaging -name '*.ts') package.json package-lock.json scripts/build.mjs \
	docs/configuration.md examples/cni-zones.conflist
deb: $(DEB)
$(DEB): $(DEB_INPUTS) | build
	node dist/packaging.cjs deb

typecheck: $(NPM_STAMP)
	npx tsc --noEmit -p .

# Formatting and lint (Biome), then exports and files nothing uses (knip).
lint: $(NPM_STAMP)
	npx biome check .
	npx knip

format: $(NPM_STAMP)
	npx biome check --write .

# Format, lint and types, then the unit tests and the privileged end-to-end tests (root; real
# namespaces, networkd, nft, nspawn; the package's lifecycle, lintian and the guides use the .deb).
test: deps build deb lint typecheck
	npx vitest run $(VITEST_ARGS)

test-unit: $(NPM_STAMP) build
	npx vitest run --project unit

demo: deps build
	dist/native/zonectl demo

# Our plugins beside the reference plugins, in one run, as ratios (BENCH_ARGS=--quick for a smoke run).
bench: deps build
	node scripts/bench.mjs $(BENCH_ARGS)

# The CNI conformance cases against our compiled plugins (root: private namespaces); fails on any MUST failure.
conformance: deps build
	node dist/conformance.cjs --config conformance/profiles/cni-zones.json --plugin-dir dist/native $(CONFORMANCE_ARGS)

# Property-based fuzzing of config, env, prevResult and runtimeConfig (root): 10k calls, 8k in-process
# through the dispatcher and the zone plugin's checks, 2k by the built plugin in test namespaces.
# CNI_ZONES_FUZZ_SEED=<seed> replays a failure.
FUZZ_RUNS ?= 10000
fuzz: deps build
	CI=true CNI_ZONES_FUZZ_RUNS=$(FUZZ_RUNS) npx vitest run test/lib/zone/attach-fuzz.test.ts test/e2e/zone-fuzz.test.ts

# A long soak (root): SOAK_CYCLES ADD/DEL cycles of zone + zone-ports; host state back to baseline, plugin RSS flat.
SOAK_CYCLES ?= 1000
soak: deps build
	CI=true CNI_ZONES_SOAK_CYCLES=$(SOAK_CYCLES) npx vitest run test/e2e/soak.test.ts

# dist/ holds the bundles, the executable and dist/deb/ (the package).
clean:
	rm -rf dist .test-tmp
