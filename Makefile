# Thin wrapper over CMake. `make` builds, `make run` runs the main job, `make check` runs every test.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all run web check check-gcc check-clang fuzz deps bench soak attack clean conformance conformance-linux

all:
	$(CMAKE) -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/release -j $(JOBS)

run: all
	./$(BUILD)/release/synack demo --out-dir synack-tour
	@echo
	@echo "The same stories in a browser, where you can break them by clicking a segment:"
	@echo "  make web && ./$(BUILD)/release/synack explore     (then open the URL it prints)"

# The explorer in the browser: the stack compiled to WebAssembly plus a static page, in $(BUILD)/web.
web:
	bash tools/web/build.sh $(abspath $(BUILD))/web

deps:
	@bash tools/install-deps.sh

# Sanitizer builds with both compilers, every ctest test, then the fuzz smoke runs.
check: deps check-gcc check-clang fuzz

# (Explicit rules: make never applies a pattern rule to a .PHONY target.)
define sanitizer_check
	$(CMAKE) -S . -B $(BUILD)/check-$(1) -DCMAKE_C_COMPILER=$(1) -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON -DSYNACK_BENCH=ON >/dev/null
	$(CMAKE) --build $(BUILD)/check-$(1) -j $(JOBS)
	cd $(BUILD)/check-$(1) && ctest --output-on-failure -j $(JOBS)
endef

check-gcc:
	$(call sanitizer_check,gcc)

check-clang:
	$(call sanitizer_check,clang)

fuzz:
	$(CMAKE) -S . -B $(BUILD)/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSYNACK_FUZZ=ON -DBUILD_TESTING=OFF -DSYNACK_BENCH=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/fuzz -j $(JOBS)
	bash tests/fuzz/run.sh $(BUILD)/fuzz $${SYNACK_FUZZ_SECONDS:-15}

# The conformance tables of docs/conformance.md (public script suites, per folder).
conformance: all
	bash tools/conformance-table.sh $(BUILD)/release/synack

# 10,000 seeds of impaired transfers on the simulator (tests/soak/soak.c); SYNACK_SOAK_COUNT and
# SYNACK_SOAK_SECONDS bound it. Optimised build: the soak's own checks find leaks and leftovers.
soak:
	$(CMAKE) -S . -B $(BUILD)/soak -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_BENCH=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/soak -j $(JOBS) --target soak
	./$(BUILD)/soak/soak

# The attack suite (tests/attack, root) on an optimised build with its full figures: 100,000 idle
# connections instead of make check's 10,000.
attack:
	$(CMAKE) -S . -B $(BUILD)/attack -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_BENCH=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/attack -j $(JOBS) --target synack attack_tool
	cd $(BUILD)/attack && SYNACK_ATTACK_LONG=1 SYNACK_IDLE_CONNS=$${SYNACK_IDLE_CONNS:-100000} ctest -R '^attack/' --output-on-failure

bench:
	$(CMAKE) -S . -B $(BUILD)/bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
	$(CMAKE) --build $(BUILD)/bench -j $(JOBS)
	bash bench/run.sh $(BUILD)/bench

clean:
	rm -rf $(BUILD)

# Root only: the linux scripts of tests/scripts against the Linux kernel, the long ones too
# (keepalive, TIME-WAIT: real time, several minutes), then the Linux table of docs/conformance.md.
conformance-linux: all
	SYNACK_CLI=$(CURDIR)/$(BUILD)/release/synack SYNACK_SOURCE_DIR=$(CURDIR) SYNACK_KERNEL_DIFF=1 bash tests/scripts/t_kernel.sh --long
	SYNACK_CLI=$(CURDIR)/$(BUILD)/release/synack bash tests/scripts/kernel_table.sh
