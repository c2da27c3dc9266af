# linky: a Lua module with a C core. `make help` lists the targets.
# LUA_VERSION: 5.1, 5.2, 5.3, 5.4 or jit (LuaJIT, interpreter luajit, modules in the 5.1 folders).
LUA_VERSION ?= 5.4
LUA         ?= lua$(LUA_VERSION)
# The version the module folders and the lua-cjson library are named after.
LUA_ABI     := $(if $(filter jit,$(LUA_VERSION)),5.1,$(LUA_VERSION))
PREFIX      ?= /usr/local
DESTDIR     ?=
CC          ?= cc
CFLAGS      ?= -O2 -g
LDFLAGS     ?=
BUSTED      ?= /usr/bin/busted
PKG_CONFIG  ?= pkg-config

# The version is written in lua/linky/version.lua alone; the C core gets it as LINKY_VERSION.
VERSION     := $(shell sed -n 's/^return "\([^"]*\)"$$/\1/p' lua/linky/version.lua)
$(if $(VERSION),,$(error lua/linky/version.lua does not say return "x.y.z"))
VERSION_DEF := -DLINKY_VERSION='"$(VERSION)"'

# Deferred (=, not :=): `make test` and `make demo` install pkg-config and the -dev packages
# (the deps target) before any recipe expands these. pkg-config names: lua5.4 or lua-5.4, luajit.
LUA_PC       = $(shell $(PKG_CONFIG) --exists lua$(LUA_VERSION) && echo lua$(LUA_VERSION) || echo lua-$(LUA_VERSION))
# Flags the build needs whatever the user's CFLAGS: kept apart so `make CFLAGS=...` keeps -I.
REQ_CFLAGS   = -std=c99 -D_POSIX_C_SOURCE=200809L $(VERSION_DEF) -fPIC -Wall -Wextra -pedantic \
               $(shell $(PKG_CONFIG) --cflags $(LUA_PC) libcurl sqlite3 2>/dev/null)
REQ_LIBS     = $(shell $(PKG_CONFIG) --libs libcurl sqlite3 2>/dev/null)

SOURCES     := csrc/core.c csrc/connection.c csrc/transfer.c csrc/redact.c csrc/normalise.c \
               csrc/points.c csrc/points_reader.c csrc/calendar.c csrc/base64url.c csrc/buffer.c \
               csrc/transport_errors.c csrc/sqlite.c csrc/userdata.c csrc/files.c \
               csrc/terminal.c csrc/json_bounds.c csrc/random.c csrc/easy.c csrc/http_client.c
HEADERS     := $(wildcard csrc/*.h)
# Every Lua module, sub-packages (lua/linky/cli/...) included; the rockspec lists the same.
LUA_FILES   := $(sort $(wildcard lua/linky/*.lua lua/linky/*/*.lua))

# Each variant of the C module has its own folder, so a stale one is never picked up:
# build/ for Lua 5.4, build/5.3/ for Lua 5.3 (build/5.2/, build/5.1/, build/jit/ alike),
# build/asan/ for the sanitizer build.
BUILD_DIR   ?= $(if $(filter 5.4,$(LUA_VERSION)),build,build/$(LUA_VERSION))
MODULE      := $(BUILD_DIR)/linky/core.so
# linky.mqtt (the linky-mqtt rock): a module of its own, built by `all` when pkg-config finds
# libmosquitto; the core module never needs it.
MQTT_SOURCES := csrc/mqtt.c
MQTT_MODULE := $(BUILD_DIR)/linky/mqtt.so
HAVE_MQTT    = $(shell $(PKG_CONFIG) --exists libmosquitto 2>/dev/null && echo yes)

LUA_LIBDIR  := $(PREFIX)/lib/lua/$(LUA_ABI)
LUA_SHARE   := $(PREFIX)/share/lua/$(LUA_ABI)

# Specs find the module under test through these paths: $(call spec_env,<build folder>).
# A state folder of their own (emptied before each run), so that specs and the demo never share
# the request budget of the machine's user.
spec_env     = XDG_STATE_HOME="$(CURDIR)/$(1)/state" \
               LUA_PATH="./lua/?.lua;./lua/?/init.lua;./?.lua;;" LUA_CPATH="./$(1)/?.so;;"
SPEC_ENV     = $(call spec_env,$(BUILD_DIR))
ASAN_DIR     = build/asan

# In the build folder of the Lua version (build/ for 5.4, build/jit/ for LuaJIT).
STATIC_DIR  := $(BUILD_DIR)/static
STATIC_LIB  := $(BUILD_DIR)/liblinky.a
EMBED_HOST  := $(BUILD_DIR)/embed/host
# LuaJIT takes Debian's lua5.1-cjson from its static archive: the shared one needs liblua5.1, a
# second Lua runtime in the host.
comma       := ,
CJSON_LIBS   = $(if $(filter jit,$(LUA_VERSION)),-Wl$(comma)-Bstatic -llua5.1-cjson -Wl$(comma)-Bdynamic,\
               $(shell $(PKG_CONFIG) --libs lua$(LUA_ABI)-cjson 2>/dev/null || echo -llua$(LUA_ABI)-cjson))

# The libFuzzer target (make fuzz): the only binary that links the Lua library itself.
CLANG        ?= clang
CLANG_TIDY   ?= clang-tidy
FUZZ_SECONDS ?= 60
FIXTURES     ?= spec/fixtures/recorded
FUZZ_BIN     := build/fuzz/fuzz_core
FUZZ_CFLAGS  := -std=c99 -D_POSIX_C_SOURCE=200809L $(VERSION_DEF) -Wall -Wextra -pedantic -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Icsrc \
                $(shell $(PKG_CONFIG) --cflags $(LUA_PC) libcurl sqlite3 2>/dev/null)
FUZZ_LIBS     = $(shell $(PKG_CONFIG) --libs $(LUA_PC) 2>/dev/null) $(REQ_LIBS)

# The man page and the shell completions, made from the command's argument parser
# (lua/linky/cli/args.lua) by tools/man.lua and tools/completions.lua with the module just built.
MAN_PAGE    := $(BUILD_DIR)/linky.1
COMPLETIONS := $(addprefix $(BUILD_DIR)/completions/,linky _linky linky.fish)
GEN_ENV      = LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="$(BUILD_DIR)/?.so;;"

.PHONY: all mqtt deps test test-all test-once demo lint valgrind asan fuzz rock dist bench install uninstall clean help static embed doc

# linky.mqtt through a second make: libmosquitto may be installed by `deps` in this same run.
all: $(MODULE) $(MAN_PAGE) $(COMPLETIONS)
	@if $(PKG_CONFIG) --exists libmosquitto 2>/dev/null; then $(MAKE) --no-print-directory mqtt; fi

$(MODULE): $(SOURCES) $(HEADERS) lua/linky/version.lua Makefile
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -shared -o $@ $(SOURCES) $(LDFLAGS) $(REQ_LIBS)

mqtt: $(MQTT_MODULE)

$(MQTT_MODULE): $(MQTT_SOURCES) csrc/compat.h csrc/clock.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(shell $(PKG_CONFIG) --cflags libmosquitto) $(CFLAGS) -shared -o $@ $(MQTT_SOURCES) \
	  $(LDFLAGS) $(shell $(PKG_CONFIG) --libs libmosquitto)

$(MAN_PAGE): tools/man.lua $(LUA_FILES) $(MODULE)
	$(GEN_ENV) $(LUA) tools/man.lua $@

$(BUILD_DIR)/completions/linky: tools/completions.lua $(LUA_FILES) $(MODULE)
	@mkdir -p $(dir $@)
	$(GEN_ENV) $(LUA) tools/completions.lua bash $@

$(BUILD_DIR)/completions/_linky: tools/completions.lua $(LUA_FILES) $(MODULE)
	@mkdir -p $(dir $@)
	$(GEN_ENV) $(LUA) tools/completions.lua zsh $@

$(BUILD_DIR)/completions/linky.fish: tools/completions.lua $(LUA_FILES) $(MODULE)
	@mkdir -p $(dir $@)
	$(GEN_ENV) $(LUA) tools/completions.lua fish $@

deps:
	@sh .ci/deps.sh

# make test: every spec but the #once ones (memory-bound, or starting a real server), in JOBS busted processes at once;
# make test-all: every spec (CI runs it once, on Lua 5.4). BUSTED_ARGS runs busted once, as given.
# One process per core and one more: many specs wait on child processes and sockets. Under
# valgrind and ASan, whose timing bounds are scaled for one process per core, one per core.
JOBS        ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) + 1 )))
SAN_JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
test: deps all
	rm -rf $(BUILD_DIR)/state
	$(if $(BUSTED_ARGS),$(SPEC_ENV) $(LUA) $(BUSTED) $(BUSTED_ARGS),$(SPEC_ENV) sh tools/specs.sh $(abspath $(BUILD_DIR))/state $(JOBS) $(LUA) $(BUSTED) --exclude-tags=once)

test-all: deps all
	rm -rf $(BUILD_DIR)/state
	$(SPEC_ENV) sh tools/specs.sh $(abspath $(BUILD_DIR))/state $(JOBS) $(LUA) $(BUSTED)

# Only the #once specs (memory-bound, or starting a real server): CI runs them once.
test-once: deps all
	rm -rf $(BUILD_DIR)/state
	$(SPEC_ENV) sh tools/specs.sh $(abspath $(BUILD_DIR))/state 1 $(LUA) $(BUSTED) --tags=once

demo: deps all
	@rm -rf $(BUILD_DIR)/state
	@$(SPEC_ENV) $(LUA) examples/demo.lua

lint: deps
	luacheck $(wildcard lua spec bin examples tools bench fuzz)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c99 --inline-suppr $(VERSION_DEF) csrc
	$(CLANG_TIDY) --quiet $(SOURCES) csrc/embed.c fuzz/fuzz_core.c $(if $(HAVE_MQTT),$(MQTT_SOURCES)) -- \
	  $(REQ_CFLAGS) $(if $(HAVE_MQTT),$(shell $(PKG_CONFIG) --cflags libmosquitto)) -Icsrc

valgrind: deps
	$(MAKE) all
	rm -rf $(BUILD_DIR)/state
	LINKY_SPEC_SLOWDOWN=10 LINKY_SPEC_CLIENTS=500 $(SPEC_ENV) sh tools/specs.sh $(BUILD_DIR)/state $(SAN_JOBS) \
	  "valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --keep-debuginfo=yes \
	  --suppressions=spec/support/valgrind.supp $(LUA)" $(BUSTED) $(BUSTED_ARGS)

# The interpreter is not instrumented: the ASan runtime is preloaded into it alone,
# and a spec checks that the instrumented module is the one loaded (the module alone: the man
# page and completions would load it without the runtime). The plain module is built too: the
# max_body memory bound is measured on it (limits_spec).
asan: deps
	$(MAKE) all
	$(MAKE) $(ASAN_DIR)/linky/core.so BUILD_DIR=$(ASAN_DIR) LDFLAGS="-fsanitize=address,undefined" \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
	if $(PKG_CONFIG) --exists libmosquitto 2>/dev/null; then $(MAKE) --no-print-directory mqtt \
	  BUILD_DIR=$(ASAN_DIR) LDFLAGS="-fsanitize=address,undefined" \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"; fi
	rm -rf $(ASAN_DIR)/state
	LINKY_SPEC_SLOWDOWN=10 LINKY_EXPECT_MODULE=./$(ASAN_DIR)/linky/core.so \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(call spec_env,$(ASAN_DIR)) sh tools/specs.sh $(ASAN_DIR)/state $(SAN_JOBS) \
	  "env LD_PRELOAD=$$($(CC) -print-file-name=libasan.so):$$($(CC) -print-file-name=libubsan.so) $(LUA)" \
	  $(BUSTED) $(BUSTED_ARGS)

# Embedding: the C core, linky_openlibs and the Lua sources in one static library.
static: $(STATIC_LIB)

$(STATIC_LIB): $(SOURCES) csrc/embed.c $(HEADERS) $(LUA_FILES) tools/embed_lua.lua Makefile
	@mkdir -p $(STATIC_DIR)
	$(LUA) tools/embed_lua.lua $(STATIC_DIR)/lua_sources.c $(LUA_FILES)
	cd $(STATIC_DIR) && $(CC) $(REQ_CFLAGS) -I$(CURDIR)/csrc $(CFLAGS) -c \
	  $(addprefix $(CURDIR)/,$(SOURCES) csrc/embed.c) lua_sources.c
	rm -f $@
	ar rcs $@ $(STATIC_DIR)/*.o

$(EMBED_HOST): examples/embed/host.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) -Icsrc $(CFLAGS) -o $@ $< $(STATIC_LIB) $(CJSON_LIBS) \
	  $(shell $(PKG_CONFIG) --libs $(LUA_PC)) $(REQ_LIBS) -lm -ldl

embed: deps $(EMBED_HOST)
	@rm -rf $(BUILD_DIR)/state
	@$(SPEC_ENV) $(LUA) examples/embed/check.lua $(EMBED_HOST)

# API reference from the LDoc comments and the pages of docs/: build/doc/index.html. LDoc runs
# under Lua 5.1: Debian's lua-markdown (which escapes <kind> in code) is installed for it alone.
LDOC        ?= lua5.1 /usr/bin/ldoc
doc: deps
	rm -rf build/doc
	$(LDOC) --fatalwarnings .

$(FUZZ_BIN): fuzz/fuzz_core.c fuzz/harness.lua $(SOURCES) $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ fuzz/fuzz_core.c $(SOURCES) $(FUZZ_LIBS)

# Fails on a crash and when coverage does not grow past the seeds' (fuzz/run.sh).
fuzz: deps $(FUZZ_BIN)
	sh fuzz/run.sh $(FUZZ_BIN) $(FUZZ_SECONDS) build/fuzz/run $(FIXTURES) fuzz/corpus spec/fixtures/cre

rock: deps
	LUA_VERSION=$(LUA_VERSION) sh .ci/rock.sh

# make dist: the release in build/dist/: linky-$(VERSION).tar.gz (`git archive` of HEAD, less
# what .gitattributes marks export-ignore), and for each rock of DIST_ROCKS its rockspec
# (rockspec/NAME-$(VERSION)-1.rockspec, @RELEASE_URL@ replaced) and NAME-$(VERSION)-1.src.rock;
# then .ci/dist.sh checks them from a temporary folder (the archive builds, installs and runs;
# each rock installs offline and loads on Lua 5.1 to 5.4 and LuaJIT).
# RELEASE_URL: set by whoever publishes, to where the archive will be downloaded from (its name
# stays linky-$(VERSION).tar.gz); by default the archive here, which only this machine can fetch.
# DIST_ROCKS: the rocks built from the archive (linky, and linky-mqtt beside it); a rock is added by its name once
# its rockspec/NAME-$(VERSION)-1.rockspec exists.
RELEASE_URL ?= file://$(CURDIR)/build/dist/linky-$(VERSION).tar.gz
DIST_ROCKS  ?= linky linky-mqtt
dist: deps
	VERSION="$(VERSION)" RELEASE_URL="$(RELEASE_URL)" DIST_ROCKS="$(DIST_ROCKS)" sh .ci/dist.sh

BIN_FILES   := $(wildcard bin/*)
BINDIR      := $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
# The man page and completions make install writes (make uninstall removes them).
INSTALLED_DOCS = $(DESTDIR)$(MANDIR)/man1/linky.1 $(DESTDIR)$(BASHCOMPDIR)/linky \
                 $(DESTDIR)$(ZSHCOMPDIR)/_linky $(DESTDIR)$(FISHCOMPDIR)/linky.fish

# The benchmark (docs/performance.md); not part of `make test` nor of CI. Its LuaJIT rows run
# bench/cases.lua under luajit with build/jit/.
BENCH_WORK  := bench/.work
BENCH_BINS  := $(BENCH_WORK)/server $(BENCH_WORK)/floor
BENCH_BODY  := $(BENCH_WORK)/curve_2y.json

bench: deps all $(BENCH_BINS) $(BENCH_BODY)
	sh bench/setup.sh
	$(MAKE) all LUA_VERSION=jit
	$(SPEC_ENV) $(LUA) bench/run.lua

$(BENCH_WORK)/server: bench/server.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -O2 -Wall -Wextra -pedantic -o $@ $<

$(BENCH_WORK)/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -O2 -Wall -Wextra -pedantic $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null) -o $@ $< $(REQ_LIBS)

$(BENCH_BODY): bench/bodies.lua $(wildcard spec/support/emulator/*.lua)
	@mkdir -p $(dir $@)
	$(SPEC_ENV) $(LUA) bench/bodies.lua $(BENCH_WORK)

# The command is rewritten to find the modules under PREFIX (not DESTDIR: a package's staging
# folder) without LUA_PATH or LUA_CPATH.
install: all
	install -d $(DESTDIR)$(LUA_LIBDIR)/linky $(DESTDIR)$(LUA_SHARE)/linky
	install -m 0755 $(MODULE) $(DESTDIR)$(LUA_LIBDIR)/linky/core.so
	if [ -f $(MQTT_MODULE) ]; then install -m 0755 $(MQTT_MODULE) $(DESTDIR)$(LUA_LIBDIR)/linky/mqtt.so; fi
	for f in $(LUA_FILES); do install -D -m 0644 $$f $(DESTDIR)$(LUA_SHARE)/$${f#lua/}; done
	install -d $(DESTDIR)$(BINDIR)
	for f in $(BIN_FILES); do \
	  sed -e '1s|^#!/usr/bin/env lua5\.4$$|#!/usr/bin/env $(LUA)|' \
	      -e 's|^local INSTALLED = nil\(.*\)$$|local INSTALLED = { share = "$(LUA_SHARE)", lib = "$(LUA_LIBDIR)" }\1|' \
	      $$f > $(DESTDIR)$(BINDIR)/$$(basename $$f) && \
	  chmod 0755 $(DESTDIR)$(BINDIR)/$$(basename $$f); \
	done
	install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man1/linky.1
	install -D -m 0644 $(BUILD_DIR)/completions/linky $(DESTDIR)$(BASHCOMPDIR)/linky
	install -D -m 0644 $(BUILD_DIR)/completions/_linky $(DESTDIR)$(ZSHCOMPDIR)/_linky
	install -D -m 0644 $(BUILD_DIR)/completions/linky.fish $(DESTDIR)$(FISHCOMPDIR)/linky.fish

uninstall:
	rm -f $(DESTDIR)$(LUA_LIBDIR)/linky/core.so $(DESTDIR)$(LUA_LIBDIR)/linky/mqtt.so
	rm -f $(patsubst lua/%,$(DESTDIR)$(LUA_SHARE)/%,$(LUA_FILES))
	-rmdir $(patsubst lua/%,$(DESTDIR)$(LUA_SHARE)/%,$(sort $(dir $(wildcard lua/linky/*/*.lua)))) 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BIN_FILES)))
	rm -f $(INSTALLED_DOCS)
	-rmdir $(DESTDIR)$(LUA_LIBDIR)/linky $(DESTDIR)$(LUA_SHARE)/linky 2>/dev/null

clean:
	rm -rf build linky csrc/*.o bench/.work

help:
	@echo "all demo test test-all test-once lint valgrind asan fuzz rock dist bench install uninstall clean"
