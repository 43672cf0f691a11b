# Switchboard: plain make. `make run`, `make test`, `make bench`, `make stop`, `make status`.
CC ?= cc
PKGS := json-c libmariadb libjwt libmemcached libargon2 libcrypto sndfile
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# SIP trunks (src/core/sip_client.c) speak SIP through libre; its headers need the
# feature macros it was built with (struct sa holds IPv6), so only that file gets them.
RE_CFLAGS := $(shell pkg-config --cflags libre 2>/dev/null) -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DUSE_OPENSSL
PKG_LIBS += $(shell pkg-config --libs libre libssl 2>/dev/null || echo -lre -lssl)
# Only the pool speaks FastCGI (src/pool/fcgi.c).
POOL_LIBS := $(PKG_LIBS) -lfcgi
# Only the event worker speaks WebSocket (src/events/ws*.c); Debian's libwslay-dev ships
# no .pc file, hence the fallback.
WSLAY_LIBS := $(shell pkg-config --libs libwslay 2>/dev/null || echo -lwslay)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=c17 -D_GNU_SOURCE $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
          -Iinclude $(PKG_CFLAGS)
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZE)
endif
# make fuzz: clang's libFuzzer instrumentation (its main); otherwise a fuzz target is linked
# with tests/fuzz/replay.c, which make test runs over the target's corpus and regressions.
ifdef FUZZ
CFLAGS += -fsanitize=fuzzer-no-link
FUZZ_LINK := -fsanitize=fuzzer
endif

BUILD ?= build
BIN ?= bin
CORE_SRC := $(wildcard src/core/*.c)
ROUTE_SRC := $(wildcard src/routes/*.c)
POOL_SRC := $(wildcard src/pool/*.c)
EVENTS_SRC := $(wildcard src/events/*.c)
ADMIN_SRC := $(wildcard src/admin/*.c)
CLOCK_SRC := $(wildcard src/clock/*.c)
HOOKS_SRC := $(wildcard src/hooks/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(wildcard tests/bench/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
CORE_OBJ := $(call obj,$(CORE_SRC))
ROUTE_OBJ := $(call obj,$(ROUTE_SRC))

BINS := $(BIN)/switchboard-pool $(BIN)/switchboard-events $(BIN)/switchboard-admin \
        $(BIN)/switchboard-clock $(BIN)/switchboard-hooks

.PHONY: all run stop status test unit bench soak clean deps demo fuzz fuzz-bins \
	cluster cluster-stop cluster-status test-cluster
all: $(BINS) $(BUILD)/openapi.json

# -MMD -MP: each object also depends on the headers it includes (src/*/…_internal.h too).
$(BUILD)/src/core/sip_client.o: CFLAGS += $(RE_CFLAGS)
$(BUILD)/tests/fuzz/fuzz_sip.o: CFLAGS += $(RE_CFLAGS)

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

$(BIN)/switchboard-pool: $(call obj,$(POOL_SRC)) $(ROUTE_OBJ) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(POOL_LIBS)

$(BIN)/switchboard-events: $(call obj,$(EVENTS_SRC)) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(WSLAY_LIBS)

# The distributor's clock (src/clock): the moves that time makes.
$(BIN)/switchboard-clock: $(call obj,$(CLOCK_SRC)) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Outgoing webhooks' delivery (src/hooks): the only binary that speaks HTTP out (libcurl).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
$(BUILD)/src/hooks/%.o: CFLAGS += $(CURL_CFLAGS)
$(BIN)/switchboard-hooks: $(call obj,$(HOOKS_SRC)) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CURL_LIBS)

# The admin tool links the routes for `openapi` and `routes` (it never serves them).
$(BIN)/switchboard-admin: $(call obj,$(ADMIN_SRC)) $(ROUTE_OBJ) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The OpenAPI description, generated from the route table at build time (docs/api.md);
# the pool serves the same text at GET /api/openapi.json.
$(BUILD)/openapi.json: $(BIN)/switchboard-admin
	$(BIN)/switchboard-admin openapi > $@.tmp && mv $@.tmp $@

$(BIN)/unit-tests: $(call obj,$(UNIT_SRC)) $(ROUTE_OBJ) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# A fuzz target (tests/fuzz/fuzz_<name>.c) with the code it reaches; the FastCGI request
# layer (src/pool/fcgi.c) is the one pool file linked in.
FUZZ_MAIN := $(if $(FUZZ),,$(BUILD)/tests/fuzz/replay.o)
$(BIN)/fuzz-%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/common.o $(FUZZ_MAIN) \
		$(BUILD)/src/pool/fcgi.o $(ROUTE_OBJ) $(CORE_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(POOL_LIBS)

# The WebSocket target reads client messages with the event worker's framing code.
$(BIN)/fuzz-ws: $(BUILD)/src/events/ws_frames.o
# The event worker's request heads and the query and cursor its routes read from them.
$(BIN)/fuzz-events_http: $(BUILD)/src/events/http_head.o $(BUILD)/src/events/api_query.o

fuzz-bins: $(addprefix $(BIN)/fuzz-,$(FUZZ_TARGETS))

# The live-event benchmark client (make bench): libc only.
$(BIN)/sse-bench: $(call obj,$(BENCH_SRC))
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack.sh start

# make run, then the simulator (scripts/simulate.py) on the demo tenant: queues that move.
demo: run
	@python3 scripts/simulate.py --base http://127.0.0.1:$${PORT:-8080} --var $${SB_VAR:-$(CURDIR)/var}

stop:
	@scripts/stack.sh stop

status:
	@scripts/stack.sh status

# The test build runs under AddressSanitizer and UBSan, in its own build folder.
# The release build too: `make run` is built without sanitizers, whose -O2 inlining warns
# where the test build does not.
test: deps
	@scripts/deps.sh chromium chromium-driver python3-selenium
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build-test BIN=build-test/bin SANITIZE=address,undefined \
		build-test/bin/switchboard-pool build-test/bin/switchboard-events \
		build-test/bin/switchboard-admin build-test/bin/switchboard-clock \
		build-test/bin/switchboard-hooks \
		build-test/bin/unit-tests build-test/openapi.json fuzz-bins
	@SB_BIN=$(CURDIR)/build-test/bin scripts/test.sh

# Several hosts on this machine (issue 13, scripts/cluster.sh): 3 Galera nodes, 2 memcached,
# 3 app hosts in network namespaces, a front nginx on 127.0.0.1:$${PORT:-8090}. Root.
cluster: deps
	@$(MAKE) --no-print-directory all
	@scripts/cluster.sh up

cluster-stop:
	@scripts/cluster.sh down

cluster-status:
	@scripts/cluster.sh status

# The cluster's fault suite under load, with figures (tests/cluster/faults.py). Root.
test-cluster: deps
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/cluster/faults.py --repo $(CURDIR) --var $$(mktemp -d /tmp/sbcluster.XXXXXX)

unit: $(BIN)/unit-tests
	@$(BIN)/unit-tests

bench: deps
	@$(MAKE) --no-print-directory all $(BIN)/sse-bench
	@scripts/bench.sh

# Endurance: SOAK_MINUTES (30) of mixed load at 70% of the measured peak (scripts/soak.sh).
soak: deps
	@$(MAKE) --no-print-directory all
	@scripts/soak.sh

# Each fuzz target for FUZZ_SECONDS (60) under libFuzzer, ASan and UBSan (needs clang and
# libclang-rt-14-dev); prints executions per second, coverage and findings per target.
fuzz:
	@scripts/deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz BIN=build-fuzz/bin \
		SANITIZE=address,undefined FUZZ=1 fuzz-bins
	@SB_FUZZ_BIN=$(CURDIR)/build-fuzz/bin scripts/fuzz.sh $(FUZZ_TARGETS)

clean:
	rm -rf build build-test build-fuzz bin
