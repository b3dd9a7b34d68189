# argo-metrics-gen + batch-monitoring. `make demo` and `make test` are the two set-up commands;
# both work on a fresh machine with Go installed (modules come from the module proxy).

GO       ?= go
# VERSION (the file) is the release: the binary's version and the chart's version and appVersion
# (make chart-template writes Chart.yaml from it).
VERSION  ?= v$(shell cat VERSION)
LDFLAGS  := -s -w -X github.com/argo-metrics-gen/argo-metrics-gen/internal/cli.Version=$(VERSION)
BIN      := bin/argo-metrics-gen
FUZZTIME ?= 30s
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64

.PHONY: all build dist demo test vet fuzz clean chart-template chart-package mutation

all: build

## build: static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/argo-metrics-gen

## dist: static binaries for every platform in dist/
dist:
	@for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  echo "dist/argo-metrics-gen-$$os-$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	    -o dist/argo-metrics-gen-$$os-$$arch ./cmd/argo-metrics-gen || exit 1; \
	done

## demo: build, run on the embedded example, show the change, prove a second run changes nothing
demo: build
	@echo "== argo-metrics-gen inject examples/quickstart/cronworkflow.yaml  (diff of what it adds)"
	@$(BIN) inject examples/quickstart/cronworkflow.yaml > bin/demo-out.yaml
	@diff -u examples/quickstart/cronworkflow.yaml bin/demo-out.yaml --label before --label after || true
	@echo
	@echo "== second run on its own output: no change"
	@$(BIN) inject bin/demo-out.yaml | cmp - bin/demo-out.yaml && echo "identical"
	@echo
	@echo "== inject --check (CI): lists files that would change, exit 1"
	@$(BIN) inject --check examples/quickstart; echo "exit $$?"

## test: every test: vet; unit, golden, hostile-input, style-property and acceptance tests against
## the built binary (the same bytes under GOMAXPROCS 1, 2 and 8); the chart's tests with promtool
## and amtool; the race detector over the injector, the KRM function and the schedule memo; every
## route with the real kustomize, helm v3 and v4 (make routes); the end-to-end proof on a real
## workflow-controller (make e2e, default Argo version). Tools and control-plane binaries are
## built once and cached under $HOME/.cache.
test: vet promtool amtool
	PROMTOOL=$(PROMTOOL_BIN) AMTOOL=$(AMTOOL_BIN) $(GO) test ./...
	TZ=America/New_York $(GO) test -count=1 ./internal/schedule/ ./internal/inject/
	$(GO) test -race -count=1 ./internal/inject/ ./internal/krm/ ./internal/schedule/
	$(MAKE) routes
	$(MAKE) e2e

## vet: go vet, and fail when gofmt would reformat a file or go mod tidy would change go.mod/go.sum
vet:
	$(GO) vet ./...
	@files=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	  if [ -n "$$files" ]; then echo "gofmt -l lists (run gofmt -w):"; echo "$$files"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum (run go mod tidy)"; exit 1; }


## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz and stay as regression cases)
FUZZ_TARGETS := ./internal/inject:FuzzStream ./internal/inject:FuzzScalarText ./internal/krm:FuzzResourceList \
	./internal/lint:FuzzLintPreview ./pkg/recipe:FuzzScalar ./internal/stylegen:FuzzStyles
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t#*:}; echo "== $$fn ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## chart-template: regenerate the generated files: the chart's copies of the Helm templates of the
## metric block (internal/helmtpl; also the one-file copy in examples/helm-values), the chart README,
## values.schema.json (argoMetricsConfig from schema/, descriptions), Chart.yaml's version (VERSION),
## the Kustomize components, the dashboards (internal/dashboard: the import files and the catalog)
chart-template:
	$(GO) run ./cmd/argo-metrics-gen helm-template > examples/helm-values/chart/templates/_workflow-metrics.tpl
	$(GO) run ./internal/chart/chartgen

## chart-package: the chart as users get it, dist/batch-monitoring-<VERSION>.tgz (helm package)
chart-package: $(HELM3_BIN)
	$(HELM3_BIN) package charts/batch-monitoring --destination dist

clean:
	rm -rf bin dist

## e2e: end-to-end tests against the real workflow-controller, kube-apiserver and etcd (needs
##      Debian's etcd-server), a real kube-state-metrics and a real Prometheus server on the
##      chart's rules. ARGO=v3.5.14|v3.6.10|v3.7.18|v4.0.2 picks the controller; E2E_RUN=REGEXP
##      runs only some tests. The API server and the controller are built once in throw-away
##      modules under E2E_CACHE, Prometheus and kube-state-metrics under TOOLS_DIR.
ARGO        ?= v3.7.18
E2E_KUBE    ?= v1.34.1
E2E_CACHE   ?= $(HOME)/.cache/argo-metrics-gen-e2e
E2E_TIMEOUT ?= 30m
.PHONY: e2e
e2e: prometheus kube-state-metrics
	E2E_CACHE=$(E2E_CACHE) GO=$(GO) test/e2e/build.sh apiserver $(E2E_KUBE) >/dev/null
	E2E_CACHE=$(E2E_CACHE) GO=$(GO) test/e2e/build.sh controller $(ARGO) >/dev/null
	ARGO_E2E=1 E2E_ARGO_VERSION=$(ARGO) E2E_KUBE_VERSION=$(E2E_KUBE) E2E_CACHE=$(E2E_CACHE) \
	  E2E_PROMETHEUS_BIN=$(PROMETHEUS_BIN) E2E_KSM_BIN=$(KSM_BIN) \
	  $(GO) test -count=1 -timeout $(E2E_TIMEOUT) -v $(if $(E2E_RUN),-run '$(E2E_RUN)') ./test/e2e/

## e2e-fleet: the controller's /metrics at E2E_FLEET_JOBS jobs (one run each): bytes per job and
##            scrape time, as the chart README's Cost section reports them.
E2E_FLEET_JOBS ?= 1000
.PHONY: e2e-fleet
e2e-fleet: prometheus
	E2E_CACHE=$(E2E_CACHE) GO=$(GO) test/e2e/build.sh apiserver $(E2E_KUBE) >/dev/null
	E2E_CACHE=$(E2E_CACHE) GO=$(GO) test/e2e/build.sh controller $(ARGO) >/dev/null
	ARGO_E2E=1 E2E_ARGO_VERSION=$(ARGO) E2E_KUBE_VERSION=$(E2E_KUBE) E2E_CACHE=$(E2E_CACHE) \
	  E2E_PROMETHEUS_BIN=$(PROMETHEUS_BIN) E2E_FLEET_JOBS=$(E2E_FLEET_JOBS) \
	  $(GO) test -count=1 -timeout 60m -v -run TestControllerMetricsAtFleetScale ./test/e2e/

## routes: every way in, with the real tools: kustomize, helm v3 and v4 (plugin), the Argo CD
##         CMP and buildOptions routes, the CI snippets, the docs' commands and the examples'
##         goldens (test/routes). The tools are built once from the Go module proxy, each at an
##         exact version, and cached under TOOLS_DIR; UPDATE_GOLDEN=1 rewrites the goldens.
TOOLS_DIR         ?= $(HOME)/.cache/argo-metrics-gen-tools
KUSTOMIZE_VERSION ?= v5.8.2
HELM3_VERSION     ?= v3.21.4
HELM4_VERSION     ?= v4.3.2
ROUTES_TIMEOUT    ?= 20m
KUSTOMIZE_BIN := $(TOOLS_DIR)/kustomize-$(KUSTOMIZE_VERSION)/kustomize
HELM3_BIN     := $(TOOLS_DIR)/helm-$(HELM3_VERSION)/helm
HELM4_BIN     := $(TOOLS_DIR)/helm-$(HELM4_VERSION)/helm

$(KUSTOMIZE_BIN):
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install -trimpath sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
$(HELM3_BIN):
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install -trimpath \
	  -ldflags '-X helm.sh/helm/v3/internal/version.version=$(HELM3_VERSION)' helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)
$(HELM4_BIN):
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install -trimpath \
	  -ldflags '-X helm.sh/helm/v4/internal/version.version=$(HELM4_VERSION)' helm.sh/helm/v4/cmd/helm@$(HELM4_VERSION)

## promtool: Prometheus' promtool, which evaluates the chart's alert rules in internal/chart's
##           tests; built once in a throw-away module (go install refuses it) under TOOLS_DIR.
PROMTOOL_VERSION ?= v0.305.0
PROMTOOL_BIN      = $(TOOLS_DIR)/promtool-$(PROMTOOL_VERSION)/promtool
.PHONY: promtool
promtool:
	TOOLS_DIR=$(TOOLS_DIR) GO=$(GO) test/tools/prometheus.sh promtool $(PROMTOOL_VERSION) >/dev/null

## amtool: Alertmanager's amtool, which loads and routes with the chart's Alertmanager example
##         (examples/team-routing) in internal/chart's tests; built once in a throw-away module.
AMTOOL_VERSION ?= v0.35.0
AMTOOL_BIN      = $(TOOLS_DIR)/amtool-$(AMTOOL_VERSION)/amtool
.PHONY: amtool
amtool:
	TOOLS_DIR=$(TOOLS_DIR) GO=$(GO) test/tools/amtool.sh $(AMTOOL_VERSION) >/dev/null

## prometheus: the Prometheus server of the same release, which make e2e runs on the chart's
##             rules (no web UI: the HTTP API is what the test reads); built the same way.
PROMETHEUS_BIN    = $(TOOLS_DIR)/prometheus-$(PROMTOOL_VERSION)/prometheus
.PHONY: prometheus
prometheus:
	TOOLS_DIR=$(TOOLS_DIR) GO=$(GO) test/tools/prometheus.sh prometheus $(PROMTOOL_VERSION) >/dev/null

## kube-state-metrics: the release whose custom resource state metrics the chart configures,
##                     which make e2e runs against the real API server; `go install`ed once
##                     from the module proxy under TOOLS_DIR (test/tools/kube-state-metrics.sh).
KSM_VERSION ?= v2.20.0
KSM_BIN      = $(TOOLS_DIR)/kube-state-metrics-$(KSM_VERSION)/kube-state-metrics
.PHONY: kube-state-metrics
kube-state-metrics:
	TOOLS_DIR=$(TOOLS_DIR) GO=$(GO) test/tools/kube-state-metrics.sh $(KSM_VERSION) >/dev/null

## mutation-chart: the chart's template mutations (comparators, thresholds, `for`, label keys,
##                 lookback, scheme; internal/chart/chartmut), the chart tests run after each;
##                 fails when one survives. Works on a copy of the tree.
.PHONY: mutation-chart
mutation-chart: promtool amtool
	PROMTOOL=$(PROMTOOL_BIN) AMTOOL=$(AMTOOL_BIN) $(GO) run ./internal/chart/chartmut

.PHONY: routes routes-tools
routes-tools: $(KUSTOMIZE_BIN) $(HELM3_BIN) $(HELM4_BIN)

## bench: Go benchmarks (the stream, the KRM function), then every mode against its floor measured in the same run (parse floor,
##        pipe 1k/10k, the KRM function on 10k items, kustomize build at 1k: plain, echo, echo of
##        the injected stream, ours). BENCH_BEFORE=BINARY adds an older binary's rows, same run.
##        Then the fleet row (internal/fleetbench): the chart's rules and Grafana dashboard on
##        Prometheus' TSDB and engine at FLEET_JOBS jobs with 35 days of history, before (ad0b1db)
##        and after, alerts.lookback 35d and 1d; its blocks are kept in bin/fleetbench.
FLEET_JOBS   ?= 1000,10000
FLEET_ROUNDS ?= 3
.PHONY: bench
bench: build $(KUSTOMIZE_BIN)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/inject/ ./internal/krm/
	$(GO) run ./internal/bench -binary $(BIN) -kustomize $(KUSTOMIZE_BIN) $(if $(BENCH_BEFORE),-before $(BENCH_BEFORE))
	$(GO) run ./internal/fleetbench -jobs $(FLEET_JOBS) -rounds $(FLEET_ROUNDS)

routes: routes-tools
	ROUTES=1 KUSTOMIZE=$(KUSTOMIZE_BIN) HELM3=$(HELM3_BIN) HELM4=$(HELM4_BIN) \
	  KUSTOMIZE_VERSION=$(KUSTOMIZE_VERSION) HELM3_VERSION=$(HELM3_VERSION) HELM4_VERSION=$(HELM4_VERSION) \
	  $(GO) test -count=1 -timeout $(ROUTES_TIMEOUT) ./test/routes/

## mutation: mutation testing of the core packages with gremlins (slow: one package test run per
##           mutant; not in make test), then the chart's (mutation-chart). MUTATION_PKGS picks
##           packages, MUTATION_WORKERS the workers.
GREMLINS_VERSION ?= v0.5.0
GREMLINS_BIN     := $(TOOLS_DIR)/gremlins-$(GREMLINS_VERSION)/gremlins
MUTATION_PKGS    ?= pkg/recipe pkg/config internal/schedule internal/inject internal/yamlerr internal/lint internal/preview internal/krm
MUTATION_WORKERS ?= 1
$(GREMLINS_BIN):
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install -trimpath github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
# GOFLAGS=-count=1: gremlins times each mutant against its coverage run, which a cached test
# result would make near zero (every mutant would then time out).
mutation: $(GREMLINS_BIN)
	@mkdir -p bin/mutation
	@for p in $(MUTATION_PKGS); do \
	  n=bin/mutation/$$(echo $$p | tr / -); echo "== $$p (full log: $$n.log)"; \
	  GOFLAGS=-count=1 $(GREMLINS_BIN) unleash --workers $(MUTATION_WORKERS) --timeout-coefficient 10 \
	    -o $$n.json ./$$p > $$n.log 2>&1 || { cat $$n.log; exit 1; }; \
	  grep -E 'LIVED|TIMED OUT|Killed|Efficacy' $$n.log; \
	done
	$(MAKE) mutation-chart
