# apcsim - build, test, bench.
#
#   make                      optimised build in build/ (binary: build/apcsim)
#   make test                 unit tests (GTest, TAP) + scenario tests + determinism
#   make SAN=address,undefined test   the same under ASan/UBSan, in build-san/
#   make OPT=-O0 BUILD=build-O0       any other configuration in its own directory
#   make deps                 install the Debian packages the build needs (root)
#   make charts               the docs gallery: every scenario's timeline chart (docs/charts/)
#   make bench                the storm benchmark and its limits (results/bench.txt)
#   make fuzz                 10,000 generated scenarios under the invariant checker (FUZZ_FIRST=, FUZZ_SEEDS=)
#   make V=1                  show full command lines

CC      ?= cc
OPT     ?= -O2
BUILD   ?= build
SAN     ?=
V       ?= 0

PKGS    := glib-2.0 lua5.4 sqlite3
DEBS    := $(shell grep -v '^\#' .ci/packages.txt)

ifneq ($(SAN),)
  BUILD := build-san
  OPT   := -O1
  SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all -DAPCSIM_SANITIZE
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
CPPFLAGS_ALL := -Isrc -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
           -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS)
CFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -MMD -MP $(CFLAGS)
LDLIBS_ALL := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm $(LDLIBS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

ifeq ($(V),1)
  Q :=
else
  Q := @
endif
# "  CC file" progress lines, except under make -s (quickstart.sh)
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
  SAY := @true
else
  SAY := @echo
endif

LIB_SRC  := $(sort $(wildcard src/sim/*.c src/ke/*.c src/trace/*.c src/lua/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(patsubst %.c,$(BUILD)/%.o,src/main.c $(sort $(wildcard src/cli/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_SUPPORT := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNIT_SUPPORT_OBJ := $(UNIT_SUPPORT:%.c=$(BUILD)/%.o)

APCSIM := $(BUILD)/apcsim

.SECONDARY:
.PHONY: all test unit-test scenario-test determinism-test clean deps quickstart help charts
all: $(APCSIM)

help:
	@sed -n '1,11p' Makefile | sed 's/^# \{0,1\}//'

$(APCSIM): $(LIB_OBJ) $(MAIN_OBJ)
	$(SAY) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(SAY) "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(UNIT_SUPPORT_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(SAY) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

unit-test: $(UNIT_BIN)
	$(Q)tests/run_unit.sh $(UNIT_BIN)

scenario-test: $(APCSIM)
	$(Q)tests/run_scenarios.sh $(APCSIM)

determinism-test: $(APCSIM)
	$(Q)tests/determinism.sh $(APCSIM)

# The whole suite: what README and .ci/run call. Without SAN it also runs
# the unit tests, the scenario tests, the hostile inputs and the trace-reader
# fuzz again under AddressSanitizer and UBSan (in build-san/).
test: $(APCSIM) $(UNIT_BIN)
ifeq ($(SAN),)
	$(Q)tests/run_all.sh $(BUILD) with-sanitizers
else
	$(Q)SKIP_DETERMINISM=1 tests/run_all.sh $(BUILD)
endif

FUZZ_FIRST ?= 1
FUZZ_SEEDS ?= 10000
.PHONY: bench fuzz fuzz-test hostile-test
bench: $(APCSIM)
	$(Q)bench/run_bench.sh $(BUILD)

fuzz: $(APCSIM)
	$(Q)tests/fuzz/run_fuzz.sh $(APCSIM) $(FUZZ_FIRST) $(FUZZ_SEEDS)

fuzz-test: $(APCSIM)
	$(Q)tests/fuzz/fuzz_test.sh $(APCSIM)

hostile-test: $(APCSIM)
	$(Q)tests/hostile/run_hostile.sh $(APCSIM)

# The docs gallery: every scenario's chart into docs/charts/ (SVG).
charts: $(APCSIM)
	$(Q)docs/make_charts.sh $(APCSIM)

quickstart: $(APCSIM)
	$(Q)mkdir -p results
	$(Q)$(APCSIM) run scenarios/quickstart.lua --db results/quickstart.db

deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEBS); \
	else \
	  echo "make deps: run as root (apt-get install $(DEBS))"; exit 2; \
	fi

clean:
	rm -rf build build-san build-O0 build-clang build-*

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d) $(UNIT_SUPPORT_OBJ:.o=.d)
