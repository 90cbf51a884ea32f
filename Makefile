# Thin wrapper over CMake presets. `make run` and `make test` are the quick start.
BUILD_DIR ?= build
PRESET    ?= release
JOBS      ?= $(shell nproc)

.PHONY: setup configure build run test bench package clean

setup:
	@scripts/setup.sh

configure: setup
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset $(PRESET) -B $(BUILD_DIR); fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD_DIR)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -LE bench -j $(JOBS) --timeout 1500

bench: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_tests
	@cd $(BUILD_DIR) && ctest --output-on-failure -L bench --timeout 3600 -V

package: build
	@cd $(BUILD_DIR) && cpack -G DEB

clean:
	@rm -rf $(BUILD_DIR)
