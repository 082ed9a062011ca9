# The project's entry points. `make demo` and `make test` are all a fresh Debian 12 machine needs.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= 2
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
# ccache keys independent of where the tree is checked out (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps configure build install test check demo demo-run asan tsan tsan-concurrency fuzz soak coverage bench format format-check tidy clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Installs cpa and cpa-fake-apiserver into $(PREFIX)/bin (default /usr/local).
install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

# The default experiment (HPA vs predictive HPA, 3 simulated days): summary table and report.
demo: build
	@scripts/demo.sh $(BUILD_DIR)

# The earlier demo: `cpa run` against the in-memory API server while the load rises and falls.
demo-run: build
	@scripts/demo-run.sh $(BUILD_DIR)

# ASan + UBSan build and test run.
asan:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-asan BUILD_TYPE=Asan CMAKE_FLAGS="$(CMAKE_FLAGS) -DCPA_BENCH=OFF"

# ThreadSanitizer build and test run.
tsan:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-tsan BUILD_TYPE=Tsan

# ThreadSanitizer on the concurrency tests only: the binaries with threads (API server, HTTP
# server, scheduler, watch/reflector/lease, transport deadline, thread pool), not the whole suite.
TSAN_TARGETS = common_test engine_test kube_test api_test
TSAN_TESTS = CommonThreadPool|CommonClock|EngineScheduler|EngineAutoscaler\.|KubeTransport|KubeWatch|KubeReflector|KubeLease|KubeClientTest|ApiServer|ApiTls|HttpServer|ApiMetricsRegistry
tsan-concurrency: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Tsan -DCPA_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	@TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure --no-tests=error -j $(JOBS) --timeout 300 -R '$(TSAN_TESTS)'

# libFuzzer targets (fuzz/), built with clang + ASan + UBSan, each run (FUZZ_RUNS inputs at most,
# FUZZ_SECONDS at most; reproducible with FUZZ_SEED, FUZZ_SEED=0 explores) from the seed
# corpus in fuzz/corpus; a crash, leak or hang fails with the input saved (scripts/fuzz.sh).
FUZZ_SECONDS ?= 45
fuzz: deps
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCPA_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# What CI runs (.ci/run): the README's `make test`, then the whole suite under ASan+UBSan, the
# concurrency tests under TSan, and every fuzz target.
check: test asan tsan-concurrency fuzz

# Soak and load figures (minutes; not part of check): 10,000 runs, 1,000 autoscalers, 64 API
# clients against the fake API server on loopback. Numbers in docs/reliability.md.
soak: build
	@scripts/soak.sh $(BUILD_DIR)

# Line coverage per folder (gcovr), after running the whole suite on a coverage build.
coverage:
	@find build-coverage -name '*.gcda' -delete 2>/dev/null || true
	@$(MAKE) --no-print-directory test BUILD_DIR=build-coverage BUILD_TYPE=Coverage
	@scripts/coverage.sh build-coverage

# Benchmarks (Release build); results in docs/performance.md.
bench: build
	@scripts/bench.sh $(BUILD_DIR)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror

tidy: configure
	@git ls-files '*.cpp' | grep -v '^tests/\|^bench/' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	@rm -rf build build-asan build-tsan build-coverage build-fuzz build-static

# Relocatable cpa bundle (binary + its libraries, $ORIGIN rpath) in build-static/dist/.
.PHONY: static
static: deps
	@scripts/static.sh build-static build-static/dist

# Container images (minimal, operator, python), built offline with buildah; IMAGES_FLAGS="--root DIR"
# keeps them in a private storage.
.PHONY: images
images: static
	@scripts/images.sh $(IMAGES_FLAGS)

# The docs site (mkdocs.yml) in build/site, with every internal Markdown link checked.
.PHONY: docs
docs: deps
	@mkdocs build --strict --quiet && scripts/check-links.py && echo "docs: build/site/index.html"
