# The targets are what the README tells people to type.
GO ?= go

.PHONY: run test race lint build bench

run: ## run the server on the embedded SQLite store in ./taskcenter-data, on :8080
	$(GO) run ./cmd/taskcenter serve

test: ## run every test with the race detector; PostgreSQL tests need a reachable server
	$(GO) test -race -count=1 $(TESTFLAGS) ./...
	cd sdktest && $(GO) test -race -count=1 $(TESTFLAGS) ./...

race: test

lint: ## vet and formatting
	$(GO) vet ./...
	cd sdktest && $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

build: ## build bin/taskcenter
	$(GO) build -o bin/taskcenter ./cmd/taskcenter

bench: ## short benchmarks on SQLite (full runs and figures: docs/BENCHMARKS.md); BENCHFLAGS=--store postgres://...
	$(GO) run ./cmd/taskcenter bench engine --duration 5s $(BENCHFLAGS)
	$(GO) run ./cmd/taskcenter bench engine --tasks 2000 $(BENCHFLAGS)
	$(GO) run ./cmd/taskcenter bench query --tasks 100000 --duration 1s $(BENCHFLAGS)
