# The targets are what the README tells people to type.
GO ?= go

.PHONY: run test race lint build bench fuzz screenshots

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

# A count of runs, not a duration: Go 1.26's fuzzing ends a timed run with a
# spurious "context deadline exceeded" when a worker is mid-run at the
# deadline (go.dev/issue/75804, fixed in Go 1.27). Each target runs about
# 7,000-13,000 inputs a second on two cores.
FUZZTIME ?= 100000x
fuzz: ## run every fuzz target for FUZZTIME each (a count of inputs, NNNx)
	@for pkg in ./api ./dialect/tencent ./dialect/qcloud ./dialect/huawei ./internal/strictjson; do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg || \
	      { echo "fuzz $$pkg $$target failed: once more, to tell a finding from a hiccup of the fuzzing processes"; \
	        $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg; } || exit 1; \
	  done; \
	done

build: ## build bin/taskcenter
	$(GO) build -o bin/taskcenter ./cmd/taskcenter

screenshots: ## rewrite docs/console-*.png from the console's browser test (needs chromium)
	TASKCENTER_SCREENSHOTS=1 $(GO) test -count=1 -run TestConsoleInBrowser ./cmd/taskcenter

bench: ## short benchmarks on SQLite (full runs and figures: docs/BENCHMARKS.md); BENCHFLAGS=--store postgres://...
	$(GO) run ./cmd/taskcenter bench engine --duration 5s $(BENCHFLAGS)
	$(GO) run ./cmd/taskcenter bench engine --tasks 2000 $(BENCHFLAGS)
	$(GO) run ./cmd/taskcenter bench query --tasks 100000 --duration 1s $(BENCHFLAGS)
