# selfguard - build, test and demo entry points.
# `make test` is what CI runs (.ci/run); `make demo` plays the offline demo.

SHELL := /bin/bash
GO ?= go
GOARCH ?= arm64
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="

.PHONY: all build test demo tools lint unit fuzz bench bench-sweep clean

all: build

# --- SAM builds these (BuildMethod: makefile): one target per function -----
build-LambdaGuardFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda-guard

build-RepoGuardFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/repo-guard

build-SweepFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep

build-SweepWorkerFunction:
	GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep-worker

build:
	$(GO) build ./...

# --- Tools: installed on demand, pinned -----------------------------------
tools: $(BIN)/aws-lambda-rie
	@command -v moto_server >/dev/null || pip install --quiet 'moto[server]>=5,<6'
	@command -v cfn-lint >/dev/null || pip install --quiet 'cfn-lint>=1,<2'

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# --- Checks ----------------------------------------------------------------
lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...
	cfn-lint template.yaml infra/signing-profile.yaml

unit:
	$(GO) test -count=1 ./...

# Each fuzz target runs briefly in `make test`; FUZZTIME=10m for a longer run.
FUZZTIME ?= 5s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null; \
	  done; done

test: tools lint unit fuzz

demo: tools
	$(GO) run ./infra/cmd/selfguard demo

# Performance figures (docs/performance.md): the decision micro-benchmarks,
# then infra/bench/perf end to end (RIE, moto, emulator, boto3 peer); about
# 5 minutes. Not part of `make test`. The sweep has its own target below.
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./infra/bench ./shared/lambdaguard/decide ./infra/eventpattern
	$(GO) run ./infra/bench/perf

# The sweep of a local account of 10,000 functions under Lambda's real
# quotas (docs/sweep.md); SWEEP_FUNCTIONS=1000 for a quicker look.
SWEEP_FUNCTIONS ?= 10000
bench-sweep:
	SELFGUARD_BENCH_FUNCTIONS=$(SWEEP_FUNCTIONS) $(GO) test -run '^$$' -bench '^BenchmarkSweep10k$$' -benchtime 1x -timeout 60m ./shared/sweep

clean:
	rm -rf $(BIN) .aws-sam

# Hardening under load and faults (docs/hardening.md): a burst of change
# events (BURST_FUNCTIONS x 5) under Lambda's real quotas with 20% injected
# errors, then SNS and DynamoDB outages; prints PASS/FAIL per check. About
# 18 minutes at the default size; not part of `make test`.
BURST_FUNCTIONS ?= 200
bench-burst: tools
	$(GO) run ./infra/loadtest/cmd/burst -functions $(BURST_FUNCTIONS)

# The organization audit (docs/organizations.md): ORG_ACCOUNTS member
# accounts (a list: one run each) × 2 regions × 100 functions, every
# account-region an emulator with Lambda's real quotas, in a process of its
# own; wall time against the floor and the audit's peak heap. ORG_PARALLEL
# bounds the account-regions audited at once. About a minute per run.
ORG_ACCOUNTS ?= 10,25,50
ORG_PARALLEL ?= 128
.PHONY: bench-org org-template
bench-org:
	SELFGUARD_BENCH_ACCOUNTS=$(ORG_ACCOUNTS) SELFGUARD_BENCH_PARALLEL=$(ORG_PARALLEL) \
	  $(GO) test -run '^$$' -bench '^BenchmarkOrgAudit$$' -benchtime 1x -timeout 30m ./infra/orgaudit

# The member StackSet template is template.yaml transformed offline (service-
# managed StackSets take no transforms); infra/org's tests fail until it is
# regenerated after template.yaml changes.
org-template:
	python3 infra/org/transform.py template.yaml > infra/org/member.template.json
