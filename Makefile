# shadowsync - top Makefile. `make` builds ./shadowsync; see README.md.

CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= 1
BUILD   ?= build
BIN     ?= shadowsync

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
override CPPFLAGS += -D_GNU_SOURCE
override CFLAGS   += -std=c11 $(WARNINGS) -MMD -MP

# Optional backends: built only when their library links (liburing style).
probe = $(shell $(CC) -o /dev/null engine/probes/$(1).c -l$(2) 2>/dev/null && echo 1)
HAVE_LIBURING := $(call probe,uring,uring)
HAVE_LIBAIO   := $(call probe,aio,aio)

LIBS := -lxxhash -ljansson -larchive -lm -lcurl -lcrypto
ENGINE_SRCS := engine/engine.c engine/engine_psync.c engine/device.c engine/pipeline.c engine/pipe_plan.c \
               engine/pipe_fill.c engine/iobench.c engine/outfile.c engine/holes.c \
               engine/inuse.c engine/storage.c
# What --version says it was built with (liburing 2.3 has no version macro).
VERSION_DEFS := -DLIBURING_BUILD_VERSION='"$(shell pkg-config --modversion liburing 2>/dev/null || echo unknown)"' \
                -DLIBAIO_BUILD_VERSION='"$(shell dpkg-query -W -f='$${Version}' libaio-dev 2>/dev/null || echo unknown)"'
$(BUILD)/cli/version.o: override CPPFLAGS += $(VERSION_DEFS)

ifeq ($(HAVE_LIBURING),1)
override CPPFLAGS += -DHAVE_LIBURING
ENGINE_SRCS += engine/engine_uring.c
LIBS += -luring
endif
ifeq ($(HAVE_LIBAIO),1)
override CPPFLAGS += -DHAVE_LIBAIO
ENGINE_SRCS += engine/engine_aio.c
LIBS += -laio
endif

VERIFY_SRCS := $(wildcard verify/*.c)
SOURCE_SRCS := $(wildcard source/*.c)
AEROSPIKE_SRCS := $(wildcard aerospike/*.c)
CLI_SRCS    := $(wildcard cli/*.c)
LIB_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(ENGINE_SRCS) $(VERIFY_SRCS) $(SOURCE_SRCS) $(AEROSPIKE_SRCS))
CLI_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all demo test test-long unit bench deps clean check-backends check-asan fuzz fuzz-build mutate install uninstall deb
all: $(BIN)

$(BIN): $(LIB_OBJS) $(CLI_OBJS)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS) -lpthread

# Objects rebuild when the flags (or the backends found) change.
FLAGS_STAMP := $(BUILD)/flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS)
$(shell mkdir -p $(BUILD); [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Only the test's own .c: its .d lists the .c files it #includes (the
# fuzz targets), which must not be compiled a second time.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJS))
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(filter %.o,$^) $(LIBS) -lcmocka -lpthread

# Test helpers (no project objects): image generators and the like.
# slowdev needs libfuse3; without it the tests that use it skip.
FUSE3_FLAGS := $(shell pkg-config --cflags --libs fuse3 2>/dev/null)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(filter-out tests/tools/slowdev.c,$(wildcard tests/tools/*.c)))
ifneq ($(FUSE3_FLAGS),)
TOOL_BINS += $(BUILD)/tests/tools/slowdev
endif
$(BUILD)/tests/tools/slowdev: tests/tools/slowdev.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(FUSE3_FLAGS)

# mksmd writes SMD files with jansson, as asd does.
$(BUILD)/tests/tools/mksmd: tests/tools/mksmd.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -ljansson

# The source layer's test driver (tests/tools/fetch.c) links the project.
$(BUILD)/tests/tools/fetch: tests/tools/fetch.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lpthread

$(BUILD)/tests/tools/%: tests/tools/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

unit: $(UNIT_BINS) $(TOOL_BINS)

# The unit programs alone (check-asan builds them into its own BUILD).
$(BUILD)/tests/unit-programs: $(UNIT_BINS)
	@touch $@

# The front door: packages, build, a real report on built-in example images.
demo:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

test: all unit
	@sh tests/run.sh

# The long loops: 20 power cuts per case (sync_powerloss), 21 during
# restore (restore_powerloss), 20 SIGKILLs per engine (sync_kill,
# restore_kill); make test runs short versions of each.
test-long: all unit
	@LONG=1 TEST_TIMEOUT=1200 T=sync_powerloss sh tests/run.sh
	@LONG=1 TEST_TIMEOUT=1200 T=sync_kill sh tests/run.sh
	@LONG=1 TEST_TIMEOUT=1200 T=restore_powerloss sh tests/run.sh
	@LONG=1 TEST_TIMEOUT=1200 T=restore_kill sh tests/run.sh

bench: all $(TOOL_BINS)
	@QUICK=$(QUICK) sh bench/run.sh

# Mutation testing: plant each bug of tests/mutate/mutants.tsv in a copy
# of the tree and run the tests that must catch it (not part of make
# test; about half an hour; MUTATE_FULL=1 runs the whole suite per mutant).
mutate:
	@bash scripts/mutate.sh

deps:
	@sh scripts/deps.sh

# Install like a Debian tool: `make install PREFIX=/usr/local DESTDIR=...`;
# `make uninstall` (same variables) removes exactly what install put there.
# /etc/default/shadowsync is installed only when absent (an operator's
# edits are kept), and removed only when it is still the shipped one.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
INSTALL_FILES = bin/shadowsync share/man/man1/shadowsync.1 \
	lib/shadowsync/aerospike-prestart \
	lib/systemd/system/aerospike.service.d/shadowsync.conf \
	share/bash-completion/completions/shadowsync \
	share/doc/shadowsync/README.md share/doc/shadowsync/runbook.md \
	$(patsubst docs/%,share/doc/shadowsync/%,$(wildcard docs/schema/*.json))
INSTALL_DIRS = share/doc/shadowsync/schema share/doc/shadowsync lib/shadowsync \
	lib/systemd/system/aerospike.service.d
D := $(DESTDIR)$(PREFIX)
# Paths with blanks would be split by make and the shell (uninstall
# would remove files outside DESTDIR); | and & would break the sed.
ifneq ($(filter install uninstall deb,$(MAKECMDGOALS)),)
ifneq ($(words x$(DESTDIR)x x$(PREFIX)x x$(SYSCONFDIR)x),3)
$(error DESTDIR, PREFIX and SYSCONFDIR may not hold spaces)
endif
ifneq ($(findstring |,$(D)$(SYSCONFDIR))$(findstring &,$(D)$(SYSCONFDIR)),)
$(error DESTDIR, PREFIX and SYSCONFDIR may not hold | or &)
endif
endif

install: $(BIN)
	install -D -m 0755 $(BIN) $(D)/bin/shadowsync
	install -D -m 0644 docs/shadowsync.1 $(D)/share/man/man1/shadowsync.1
	install -d $(D)/lib/shadowsync $(D)/lib/systemd/system/aerospike.service.d
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|' contrib/systemd/aerospike-prestart \
		> $(D)/lib/shadowsync/aerospike-prestart
	chmod 0755 $(D)/lib/shadowsync/aerospike-prestart
	sed 's|/usr/local/lib/|$(PREFIX)/lib/|' contrib/systemd/aerospike-shadowsync.conf \
		> $(D)/lib/systemd/system/aerospike.service.d/shadowsync.conf
	install -D -m 0644 contrib/bash-completion/shadowsync \
		$(D)/share/bash-completion/completions/shadowsync
	install -D -m 0644 README.md $(D)/share/doc/shadowsync/README.md
	install -D -m 0644 docs/runbook.md $(D)/share/doc/shadowsync/runbook.md
	install -d $(D)/share/doc/shadowsync/schema
	install -m 0644 docs/schema/*.json $(D)/share/doc/shadowsync/schema/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/default/shadowsync ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/default/shadowsync"; \
	else \
		install -D -m 0644 contrib/systemd/shadowsync.default \
			$(DESTDIR)$(SYSCONFDIR)/default/shadowsync; \
	fi

uninstall:
	rm -f $(addprefix $(D)/,$(INSTALL_FILES))
	@for d in $(INSTALL_DIRS); do rmdir $(D)/$$d 2>/dev/null || true; done
	@if cmp -s contrib/systemd/shadowsync.default $(DESTDIR)$(SYSCONFDIR)/default/shadowsync; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/shadowsync; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/default/shadowsync ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/default/shadowsync: it was edited"; \
	fi

# shadowsync_VERSION_ARCH.deb in DEBOUT (default build/), with dpkg-deb;
# Depends from dpkg-shlibdeps.
DEBOUT ?= $(BUILD)
deb: $(BIN)
	@sh scripts/mkdeb.sh $(BIN) $(DEBOUT)

# Every test again against a build with AddressSanitizer and UBSan (clang).
check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/shadowsync CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all build-asan/tests/unit-programs \
		build-asan/tests/tools/fetch
	@SS=$(CURDIR)/build-asan/shadowsync UNIT_DIR=build-asan/tests \
		FETCH=$(CURDIR)/build-asan/tests/tools/fetch \
		ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
		UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 sh tests/run.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c) with ASan and UBSan, linked
# with the engine, verify, aerospike, source and cli sources (not cli/main.c). `make
# fuzz` builds them and runs each for FUZZ_TIME seconds (default 60) on a
# copy of its corpus, tests/fuzz/corpus/NAME (tests/fuzz/run.sh); a crash
# fails it and leaves build-fuzz/crash-NAME-*, to be fixed and added to
# the corpus. The unit test test_fuzz_corpus replays the corpora in every
# make test. `make fuzz-build` only builds.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_BUILD   := build-fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c)) \
                $(FUZZ_BUILD)/fuzz_smdbundle
FUZZ_LINKED  := $(ENGINE_SRCS) $(VERIFY_SRCS) $(AEROSPIKE_SRCS) $(SOURCE_SRCS) \
                $(filter-out cli/main.c,$(CLI_SRCS))

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	@sh tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_TARGETS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LINKED) $(wildcard verify/*.h engine/*.h cli/*.h source/*.h aerospike/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(VERSION_DEFS) -std=c11 $(WARNINGS) $(FUZZ_FLAGS) -o $@ $< \
		$(FUZZ_LINKED) $(LIBS) -lpthread

# fuzz_smd.c holds two targets: module files, and (this one) bundles.
$(FUZZ_BUILD)/fuzz_smdbundle: tests/fuzz/fuzz_smd.c $(FUZZ_LINKED) $(wildcard verify/*.h engine/*.h cli/*.h source/*.h aerospike/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(VERSION_DEFS) -DFUZZ_SMD_BUNDLE -std=c11 $(WARNINGS) $(FUZZ_FLAGS) -o $@ $< \
		$(FUZZ_LINKED) $(LIBS) -lpthread

check-backends:
	@echo "io_uring: $(if $(HAVE_LIBURING),yes,no)  libaio: $(if $(HAVE_LIBAIO),yes,no)"

clean:
	rm -rf build build-asan build-fuzz shadowsync

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
