# selfguard - build, test and demo entry points. `make help` lists them.
# `make test` is what CI runs (.ci/run); `make check` is the quick look
# before a commit; `make demo` plays the offline demo.

SHELL := /bin/bash
GO ?= go
GOARCH ?= arm64
# Tools, pinned: go install puts them in .bin.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
STATICCHECK_VERSION := v0.8.2
DEADCODE_VERSION := v0.52.0
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="

# What `make check` leaves to `make test`: the packages whose tests start
# moto or the Runtime Interface Emulator (a test bed, the demo), the race
# detector and the fuzzing. What it runs needs only Go and cfn-lint.
MODULE := github.com/selfguard/selfguard
NEEDS_MOTO_OR_RIE := $(addprefix $(MODULE)/,infra/testbed infra/runtime infra/demo infra/cli infra/loadtest \
	infra/moto infra/emulator/difftest shared/sweep shared/ledger shared/alert shared/deps)

.DEFAULT_GOAL := build
.PHONY: help all build test check demo tools lint unit unit-rest race fuzz deadcode bench bench-sweep bench-burst clean

help: ## list the targets
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
.PHONY: all build test demo tools lint unit fuzz bench bench-sweep bench-burst bench-flood clean

all: build

build: ## compile every package
	$(GO) build ./...

# --- SAM builds these (BuildMethod: makefile): one target per function -----
build-LambdaGuardFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda-guard

build-RepoGuardFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/repo-guard

build-SweepFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep

build-SweepWorkerFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep-worker

# --- Tools: installed on demand, pinned -----------------------------------
tools: $(BIN)/aws-lambda-rie $(BIN)/staticcheck ## install the test tools (RIE, staticcheck; moto, cfn-lint if missing)
	@command -v moto_server >/dev/null || pip install --quiet 'moto[server]>=5,<6'
	@command -v cfn-lint >/dev/null || pip install --quiet 'cfn-lint>=1,<2'
	@# The HTML report is checked in a real headless browser (shared/report).
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/deadcode:
	GOBIN=$(BIN) $(GO) install golang.org/x/tools/cmd/deadcode@$(DEADCODE_VERSION)

# --- Checks ----------------------------------------------------------------
check: lint ## quick: lint, and the tests that need neither moto nor the RIE
	$(GO) test -count=1 $(filter-out $(NEEDS_MOTO_OR_RIE),$(shell $(GO) list ./...))

lint: $(BIN)/staticcheck ## gofmt, go vet, staticcheck, cfn-lint
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	cfn-lint template.yaml infra/signing-profile.yaml infra/audit-role.yaml infra/tamper-us-east-1.yaml
	@mkdir -p $(BIN)
	python3 infra/samtransform.py template.yaml > $(BIN)/packaged.json
	cfn-lint $(BIN)/packaged.json

unit: ## every package's tests, e2e included (moto, RIE, ../shared/testdata)
	$(GO) test -count=1 ./...

race: ## shared/ under the race detector
	$(GO) test -race -count=1 ./shared/...

# In `make test` shared/ runs once, under the race detector (race), and the
# rest without it: the same tests as unit, without compiling shared/ twice.
unit-rest:
	$(GO) test -count=1 ./functions/... ./infra/...

# Each fuzz target runs briefly in `make test`; FUZZTIME=10m for a longer run.
FUZZTIME ?= 5s
fuzz: ## each fuzz target for FUZZTIME (5s)
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$dir $$f"; out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$dir 2>&1) || { echo "$$out"; exit 1; }; \
	  done; done

deadcode: $(BIN)/deadcode ## functions no main and no test reaches
	deadcode -test ./...

test: tools lint unit-rest race fuzz ## what CI runs: lint, every test (shared/ under -race), fuzz

demo: tools ## the offline demo: guards under the RIE on a local account
	$(GO) run ./infra/cmd/selfguard demo

# Performance figures (docs/performance.md): the decision micro-benchmarks,
# then infra/bench/perf end to end (the guards as template.yaml deploys them
# at its defaults, under the RIE, against moto, the emulator and a boto3
# peer); about 6 minutes. It writes the run as docs/bench/<date>-<commit>.json
# and prints it against the previous run. PERF_FLAGS passes flags to perf
# (-only window, -extra name=bootstrap...). Not part of `make test`. The
# sweep has its own target below.
PERF_FLAGS ?=
bench: tools ## decision benchmarks and the end-to-end figures, written to docs/bench (~6 min)
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./infra/bench ./shared/lambdaguard/decide ./infra/eventpattern
	$(GO) run ./infra/bench/perf $(PERF_FLAGS)

# The sweep of a local account of 10,000 functions under Lambda's real
# quotas (docs/sweep.md); SWEEP_FUNCTIONS=1000 for a quicker look.
SWEEP_FUNCTIONS ?= 10000
bench-sweep: ## the sweep of SWEEP_FUNCTIONS (10,000) functions under Lambda's quotas
	SELFGUARD_BENCH_FUNCTIONS=$(SWEEP_FUNCTIONS) $(GO) test -run '^$$' -bench '^BenchmarkSweep10k$$' -benchtime 1x -timeout 60m ./shared/sweep

# Hardening under load and faults (docs/hardening.md): a burst of change
# events (BURST_FUNCTIONS x 5) under Lambda's real quotas with 20% injected
# errors, then SNS and DynamoDB outages; prints PASS/FAIL per check. About
# 18 minutes at the default size; not part of `make test`.
BURST_FUNCTIONS ?= 200
bench-burst: tools ## a burst of changes under quotas and outages (~18 min)
	$(GO) run ./infra/loadtest/cmd/burst -functions $(BURST_FUNCTIONS)

clean: ## remove .bin and SAM's build output
	rm -rf $(BIN) .aws-sam

# The organization audit (docs/organizations.md): ORG_ACCOUNTS member
# accounts (a list: one run each) × 2 regions × 100 functions, every
# account-region an emulator with Lambda's real quotas, in a process of its
# own; wall time against the floor and the audit's peak heap. ORG_PARALLEL
# bounds the account-regions audited at once. About a minute per run.
ORG_ACCOUNTS ?= 10,25,50
ORG_PARALLEL ?= 128
.PHONY: bench-org org-template
bench-org: ## the audit of a local organization of ORG_ACCOUNTS accounts (~1 min a run)
	SELFGUARD_BENCH_ACCOUNTS=$(ORG_ACCOUNTS) SELFGUARD_BENCH_PARALLEL=$(ORG_PARALLEL) \
	  $(GO) test -run '^$$' -bench '^BenchmarkOrgAudit$$' -benchtime 1x -timeout 30m ./infra/orgaudit

# The member StackSet template is template.yaml transformed offline (service-
# managed StackSets take no transforms); infra/org's tests fail until it is
# regenerated after template.yaml changes.
org-template: ## regenerate infra/org/member.template.json after template.yaml changes
	python3 infra/org/transform.py template.yaml > infra/org/member.template.json

# The attack in a flood (docs/hardening.md): 1,000 benign routed events in one
# minute with one attack among them, FLOOD_RUNS times; prints the attack's
# event-to-action time p50/p99. Each run stops once the guard acted (at most
# 20 minutes); not part of `make test`.
FLOOD_RUNS ?= 3
bench-flood: tools
	$(GO) run ./infra/loadtest/cmd/burst -run flood -flood-runs $(FLOOD_RUNS) -timeout 90m
