# s46 build. GNU make. `make` builds everything, `make test` runs every test,
# `make bench` runs the benchmarks, `make fuzz` runs the long fuzzing jobs.
#
# Layout: every .c file under src/lib, src/dp, src/io, src/prov goes into one
# static library (build/libs46.a). Every folder src/cmd/<prog>/ is one program
# build/bin/<prog>; its optional src/cmd/<prog>/prog.mk sets LDLIBS_<prog>.
# Every tests/unit/test_*.c is one unit-test program, built and linked with
# AddressSanitizer and UBSan against a sanitized copy of the library.

CC      ?= cc
ifeq ($(origin CC),default)
CC      := cc
endif
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror
STD     := -std=gnu11
CPPFLAGS += -Isrc -D_GNU_SOURCE
CFLAGS  += $(STD) $(OPT) $(WARN) -fno-strict-aliasing
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BUILD   := build
LIB_SRC := $(filter-out %.bpf.c,$(sort $(wildcard src/lib/*.c src/dp/*.c src/io/*.c src/prov/*.c src/conf/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
LIB     := $(BUILD)/libs46.a
ASAN_LIB := $(BUILD)/asan/libs46.a

PROGS   := $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard src/cmd/*/*.c)))))
# Libraries every program may need; per-program lists come from prog.mk.
ALL_LDLIBS := -ljansson
# The AF_XDP port (src/io/xdp.c): linked only into programs that use it.
PORT_LDLIBS := -Wl,--as-needed -lxdp -lbpf -Wl,--no-as-needed
-include $(wildcard src/cmd/*/prog.mk)

BINS      := $(PROGS:%=$(BUILD)/bin/%)
ASAN_BINS := $(PROGS:%=$(BUILD)/asan/bin/%)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)
# Every tests/tools/*.c is one helper program the integration tests run,
# built like the unit tests.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/asan/tools/%)

.PHONY: all test unit tools bench fuzz mutate clean install package
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(ASAN_LIB): $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define prog_rules
$(BUILD)/bin/$(1): $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard src/cmd/$(1)/*.c)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDFLAGS) $$(or $$(LDLIBS_$(1)),$(ALL_LDLIBS)) $(PORT_LDLIBS)
$(BUILD)/asan/bin/$(1): $$(patsubst %.c,$(BUILD)/asan/%.o,$$(wildcard src/cmd/$(1)/*.c)) $(ASAN_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(SANFLAGS) -o $$@ $$^ $$(LDFLAGS) $$(or $$(LDLIBS_$(1)),$(ALL_LDLIBS)) $(PORT_LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

TEST_LDLIBS := $(sort $(ALL_LDLIBS) $(foreach p,$(PROGS),$(LDLIBS_$(p)))) -lm $(PORT_LDLIBS)
$(BUILD)/asan/tests/%: tests/unit/%.c tests/unit/t.h $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -MMD -MP -o $@ $< $(ASAN_LIB) $(LDFLAGS) $(TEST_LDLIBS)

$(BUILD)/asan/tools/%: tests/tools/%.c $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP -o $@ $< $(ASAN_LIB) $(LDFLAGS) $(TEST_LDLIBS)

# The ports' BPF programs (AF_XDP's XDP program, AF_PACKET's tc ingress
# program), compiled for BPF and embedded into the library as byte arrays
# (nothing to find at run time).
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -print-multiarch)
$(BUILD)/gen/%.bpf.o: src/io/%.bpf.c src/io/take.bpf.h
	@mkdir -p $(dir $@)
	clang $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/gen/%.bpf.h: $(BUILD)/gen/%.bpf.o
	{ echo 'static const unsigned char s46_$*_obj[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/io/xdp.o $(BUILD)/asan/src/io/xdp.o: $(BUILD)/gen/xdp_redirect.bpf.h
$(BUILD)/obj/src/io/take.o $(BUILD)/asan/src/io/take.o: $(BUILD)/gen/tc_take.bpf.h
$(BUILD)/obj/src/io/xdp.o $(BUILD)/asan/src/io/xdp.o $(BUILD)/obj/src/io/take.o \
	$(BUILD)/asan/src/io/take.o: CPPFLAGS += -I$(BUILD)/gen

unit: $(UNIT_BINS)
tools: $(TOOL_BINS)

# Every test: unit tests (sanitized) then integration tests; one summary line.
test: $(BINS) $(ASAN_BINS) $(UNIT_BINS) $(TOOL_BINS)
	@bash tests/run.sh

bench: $(BINS)
	@bash bench/run.sh

fuzz: $(BINS)
	@bash tests/fuzz.sh long

# Mutation testing (tests/mutate/mutants.txt): slow, not part of `make test`.
mutate: $(BINS) $(ASAN_BINS) $(UNIT_BINS) $(TOOL_BINS)
	@bash tests/mutate/run.sh

# `make install [DESTDIR=...] [PREFIX=/usr/local]` (docs/install.md): the
# programs, the systemd units (paths filled in), provd's sysusers.d entry,
# example settings as *.example under $(SYSCONFDIR)/s46, the docs. Builds
# the programs first if they are not built.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DOCDIR      ?= $(PREFIX)/share/doc/s46
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
UNITS       := $(patsubst dist/systemd/%.in,%,$(wildcard dist/systemd/*.service.in))
install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/s46 $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for u in $(UNITS); do \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	    dist/systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 dist/sysusers/*.conf $(DESTDIR)$(SYSUSERSDIR)/
	install -m 0644 dist/etc/*.example $(DESTDIR)$(SYSCONFDIR)/s46/
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	install -m 0644 examples/* $(DESTDIR)$(DOCDIR)/examples/

# The Debian packages (debian/, docs/install.md), built by dpkg-buildpackage
# in a copy of the tree; the .debs land in build/deb/.
package:
	@bash scripts/package

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(wildcard $(BUILD)/obj/src/cmd/*/*.d $(BUILD)/asan/src/cmd/*/*.d $(BUILD)/asan/tests/*.d $(BUILD)/asan/tools/*.d)
