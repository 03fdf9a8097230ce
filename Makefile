# pulmo - chest CT analysis in the terminal.
#
#   make            build ./pulmo
#   make run        open pulmo on the sample patients (generated when missing)
#   make test       build with ASan+UBSan, run every test, print "N passed, N failed"
#   make bench      benchmark figures
#   make install    PREFIX=/usr/local
#   make deps       install the Debian packages pulmo and its tests need (root)
#   make deps-x     the optional X packages of the real-xterm test (root)
#   make test-slurm only the Slurm test: a one-node cluster on 127.0.0.1 (root)
#   make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS
#   make valgrind   run the CLI tests with pulmo under valgrind (no sanitizers)
#   make contact-sheets  one PNG per real series and phantom in build/contact-sheets/
#
# Sources are found, not listed: every src/<module>/*.c (and the two C++
# adapters: GDCM for files, DCMTK for the network) goes into the core library, except the front ends in src/cli
# and src/tui and the terminal probe in src/term, which are linked into the
# pulmo binary. Every tests/test_*.c is
# one test program; every tests/*.sh is one test script.

PREFIX   ?= /usr/local
CC       ?= cc
CXX      ?= g++
OPT      ?= -O3
GDCM_INC ?= /usr/include/gdcm-3.0

WARN     := -Wall -Wextra -Werror -Wno-format-truncation
CFLAGS_  := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iinclude $(WARN) -g -pthread
CXXFLAGS_:= -std=c++17 -Iinclude -isystem $(GDCM_INC) $(WARN) -g -pthread
# What the core library needs (also in pulmo.pc); the front ends add curses.
LIB_LIBS := -lgdcmMSFF -lgdcmDSED -lgdcmCommon -ldcmnet -ldcmdata -loflog -lofstd -lsixel -lpng -lz -lstdc++ -lpthread -lm
LIBS     := $(LIB_LIBS) -lncursesw
# Every object also writes its header dependencies (a .d file next to it).
DEPFLAGS := -MMD -MP
SAN      := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined,float-cast-overflow

# Debian packages: build, then what the tests and tools use.
DEPS_BUILD := g++ make pkg-config libgdcm-dev libdcmtk-dev libsixel-dev libncurses-dev libpng-dev zlib1g-dev libopenblas-dev
DEPS_TEST  := time libsixel-bin tmux admesh python3-nibabel python3-numpy dcmtk python3-pydicom netpbm
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)
# The local cluster of tests/test_slurm.sh; optional: without them (or without
# root) that test prints a SKIP line.
DEPS_SLURM := slurmctld slurmd slurm-client munge
# The real-terminal test (tests/test_tui_xterm.sh: xterm under Xvfb, and
# kitty for a manual check); optional: without them that test prints SKIP.
DEPS_X := xterm xvfb x11-apps x11-utils xdotool xfonts-base netpbm
# The PACS test (tests/test_pacs.sh): a real Orthanc on 127.0.0.1, and
# dciodvfy (dicom3tools) to validate what --push and --dicom-seg write (also
# tests/test_segout.sh); installed like the
# Slurm packages (a failure makes that test SKIP).
DEPS_PACS := orthanc dicom3tools
# Only for `make fuzz` and `make valgrind` (gdcmconv makes compressed seeds).
DEPS_FUZZ     := clang libclang-rt-14-dev libgdcm-tools
DEPS_VALGRIND := valgrind
# Only for `make bench`: the classic Python pipeline it compares against.
DEPS_BENCH    := python3-pydicom python3-scipy python3-skimage

FRONT_DIRS := src/cli src/tui src/term
LIB_C      := $(filter-out $(addsuffix /%,$(FRONT_DIRS)),$(wildcard src/*/*.c))
LIB_CXX    := $(wildcard src/*/*.cpp)
APP_C      := $(wildcard $(addsuffix /*.c,$(FRONT_DIRS)))
HEADERS    := $(wildcard include/pulmo/*.h) $(wildcard src/*/*.h)
TEST_C     := $(wildcard tests/test_*.c)
TEST_SH    := $(wildcard tests/test_*.sh)
FUZZ_C     := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_C    := $(wildcard tests/bench_*.c)

REL := build/rel
SNZ := build/san

rel_obj = $(patsubst src/%,$(REL)/%.o,$(1))
san_obj = $(patsubst src/%,$(SNZ)/%.o,$(1))

.PHONY: all run test bench install clean deps deps-x check-deps samples fuzz fuzz-build valgrind slurm-deps test-slurm pacs-deps test-pacs \
        contact-sheets
all: check-deps pulmo

pulmo: $(REL)/pulmo
	@cp $< $@

$(REL)/libpulmo.a: $(call rel_obj,$(LIB_C) $(LIB_CXX))
	@rm -f $@
	@ar rcs $@ $^
$(SNZ)/libpulmo.a: $(call san_obj,$(LIB_C) $(LIB_CXX))
	@rm -f $@
	@ar rcs $@ $^

$(REL)/pulmo: $(call rel_obj,$(APP_C)) $(REL)/libpulmo.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_) $(OPT) -o $@ $^ $(LIBS)
$(SNZ)/pulmo: $(call san_obj,$(APP_C)) $(SNZ)/libpulmo.a
	@echo "  LD san  $@"
	@$(CC) $(CFLAGS_) $(SAN) -o $@ $^ $(LIBS)

$(REL)/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_) $(DEPFLAGS) $(OPT) -c -o $@ $<
$(REL)/%.cpp.o: src/%.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	@$(CXX) $(CXXFLAGS_) $(DEPFLAGS) $(OPT) -c -o $@ $<
$(SNZ)/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(CFLAGS_) $(DEPFLAGS) -O1 $(SAN) -c -o $@ $<
$(SNZ)/%.cpp.o: src/%.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX san $<"
	@$(CXX) $(CXXFLAGS_) $(DEPFLAGS) -O1 $(SAN) -c -o $@ $<

# The terminal UI's logic that needs no terminal, unit tested with the core.
TUI_LOGIC  := src/tui/list.c src/tui/view.c src/tui/job.c src/tui/histcache.c src/tui/browser_rows.c

# Test programs link the sanitized core library (and tests/test.h).
$(SNZ)/tests/%: tests/%.c $(wildcard tests/*.h) $(call san_obj,$(TUI_LOGIC)) $(SNZ)/libpulmo.a
	@mkdir -p $(dir $@)
	@echo "  LD test $@"
	@$(CC) $(CFLAGS_) -Itests -O1 $(SAN) -o $@ $< $(call san_obj,$(TUI_LOGIC)) $(SNZ)/libpulmo.a $(LIBS)

TEST_BINS := $(patsubst tests/%.c,$(SNZ)/tests/%,$(TEST_C))

# Benchmark helpers link the optimised core library.
$(REL)/tests/%: tests/%.c $(REL)/libpulmo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_) $(OPT) -o $@ $< $(REL)/libpulmo.a $(LIBS)
BENCH_BINS := $(patsubst tests/%.c,$(REL)/tests/%,$(BENCH_C))

test: check-deps slurm-deps pacs-deps $(SNZ)/pulmo $(TEST_BINS) $(SNZ)/tests/net_cancel samples
	@PULMO=$(SNZ)/pulmo sh tests/run.sh $(TEST_BINS) $(TEST_SH)

test-pacs: check-deps pacs-deps $(SNZ)/pulmo $(SNZ)/tests/net_cancel samples
	@PULMO=$(SNZ)/pulmo sh tests/run.sh tests/test_pacs.sh

test-slurm: check-deps slurm-deps $(SNZ)/pulmo samples
	@PULMO=$(SNZ)/pulmo sh tests/run.sh tests/test_slurm.sh

bench: check-deps pulmo samples $(BENCH_BINS)
	@$(MAKE) --no-print-directory check-deps DEPS="$(DEPS_BENCH)" || echo "(without them the Python comparison is skipped)"
	@sh tests/bench.sh

run: check-deps pulmo samples
	./pulmo samples/patients

# The triage sheet (`pulmo report`: header, warnings, zone slices, coronal,
# lung histogram, figures per lung and zone) of every series of the test data
# and of the phantoms, to look at. Folders without an image series are skipped.
SHEET_DATA ?= ../shared/data
SHEET_DIRS = $(wildcard $(SHEET_DATA)/real/*/ $(SHEET_DATA)/patients/*/ $(SHEET_DATA)/edge/two-slices-no-modality/) \
             $(wildcard samples/patients/*/)
contact-sheets: pulmo samples
	@mkdir -p build/contact-sheets
	@for d in $(SHEET_DIRS); do \
	  d=$${d%/}; n=$$(basename "$$d"); \
	  ./pulmo report "$$d" -o "build/contact-sheets/$$n.png" >build/contact-sheets/$$n.txt 2>&1; rc=$$?; \
	  if [ $$rc = 2 ]; then rm -f build/contact-sheets/$$n.txt; continue; fi; \
	  printf '%-28s exit %s  %s\n' "$$n" $$rc "$$(grep -m1 -E '^(lungs|lung area)' build/contact-sheets/$$n.txt)"; \
	done
	@echo "sheets in build/contact-sheets/"

# The phantoms are generated, never committed (see samples/README.md):
# DICOM series in samples/patients/<NAME>/, ground truth in samples/truth/.
samples: samples/patients/.done
samples/patients/.done: $(REL)/pulmo
	rm -rf samples/patients samples/truth
	$(REL)/pulmo phantom --all --truth samples/truth samples/patients
	touch $@

# The program, its man page, and the core library for embedding: libpulmo.a,
# include/pulmo/*.h and pulmo.pc (`pkg-config --cflags --libs pulmo`).
install: pulmo
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/pulmo
	install -m 755 pulmo $(DESTDIR)$(PREFIX)/bin/pulmo
	install -m 644 man/pulmo.1 $(DESTDIR)$(PREFIX)/share/man/man1/pulmo.1
	install -m 644 $(REL)/libpulmo.a $(DESTDIR)$(PREFIX)/lib/libpulmo.a
	install -m 644 include/pulmo/*.h $(DESTDIR)$(PREFIX)/include/pulmo/
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: pulmo\nDescription: chest CT analysis (DICOM series, lung segmentation, meshes)\nVersion: %s\nCflags: -I$${includedir} -pthread\nLibs: -L$${libdir} -lpulmo %s\n' \
	    "$(PREFIX)" "$$(sed -n 's/^#define PM_VERSION "\(.*\)"/\1/p' include/pulmo/core.h)" "$(LIB_LIBS)" \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/pulmo.pc

clean:
	rm -rf build pulmo

-include $(shell find build -name '*.d' 2>/dev/null)

# Fuzzing: the core library again, built by clang with libFuzzer's coverage
# and ASan+UBSan; GDCM, zlib and libstdc++ stay uninstrumented Debian builds.
# Targets link with clang++ for the C++ part of UBSan's runtime (the adapter).
FUZZ         := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CXX     ?= clang++
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
                -Wno-unknown-warning-option
fuzz_obj = $(patsubst src/%,$(FUZZ)/%.o,$(1))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_C))

$(FUZZ)/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_) $(DEPFLAGS) -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<
$(FUZZ)/%.cpp.o: src/%.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(CXXFLAGS_) $(DEPFLAGS) -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<
$(FUZZ)/libpulmo.a: $(call fuzz_obj,$(LIB_C) $(LIB_CXX))
	@rm -f $@
	ar rcs $@ $^
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ)/libpulmo.a
	$(FUZZ_CC) $(CFLAGS_) -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@.o $<
	$(FUZZ_CXX) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -o $@ $@.o $(FUZZ)/libpulmo.a $(LIBS)
$(FUZZ)/mkseeds: tests/fuzz/mkseeds.c $(REL)/libpulmo.a
	$(CC) $(CFLAGS_) $(OPT) -o $@ $< $(REL)/libpulmo.a $(LIBS)
$(FUZZ)/seeds/.done: $(FUZZ)/mkseeds tests/fuzz/seeds.sh tests/fuzz/mkpth.py
	sh tests/fuzz/seeds.sh $(FUZZ)/seeds $(FUZZ)/mkseeds && touch $@

fuzz-build:
	@$(MAKE) --no-print-directory check-deps DEPS="$(DEPS_FUZZ)"
	@$(MAKE) --no-print-directory $(FUZZ_BINS) $(FUZZ)/seeds/.done
fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ)/seeds $(FUZZ_BINS)

# The CLI tests again with pulmo under valgrind: the .sh scripts and the C
# tests that run $$PULMO (those using tf_run from tests/files.h). pulmo is
# the optimised build with debug symbols and no sanitizers.
VALGRIND_C := $(patsubst tests/%.c,$(SNZ)/tests/%,$(shell grep -l 'tf_run' $(TEST_C) /dev/null))
VALGRIND   := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
              --suppressions=$(CURDIR)/tests/valgrind.supp
# PULMO is one path (a wrapper script), since scripts quote "$$PULMO".
# test_pacs.sh's cancelled retrieval (tests/net_cancel) runs under valgrind
# too: built like pulmo, since a sanitized program cannot run under it.
valgrind: $(REL)/pulmo $(REL)/tests/net_cancel $(VALGRIND_C) samples
	@$(MAKE) --no-print-directory check-deps DEPS="$(DEPS_VALGRIND)"
	@for p in pulmo tests/net_cancel; do \
	  printf '#!/bin/sh\nexec %s %s "$$@"\n' "$(VALGRIND)" "$(CURDIR)/$(REL)/$$p" >build/valgrind-$${p#tests/}; \
	  chmod +x build/valgrind-$${p#tests/}; done
	@PULMO=$(CURDIR)/build/valgrind-pulmo NET_CANCEL=$(CURDIR)/build/valgrind-net_cancel PULMO_TEST_SLOW=10 \
	  sh tests/run.sh $(VALGRIND_C) $(TEST_SH)

# Installs missing packages when root; otherwise prints the exact command.
check-deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  else \
	    echo "pulmo needs packages that are not installed. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

deps: check-deps
	@$(MAKE) --no-print-directory deps-x
	@$(MAKE) --no-print-directory slurm-deps SLURM_STRICT=1
	@$(MAKE) --no-print-directory pacs-deps PACS_STRICT=1

# Orthanc and dicom3tools for the PACS test, as for Slurm (--no-install-
# recommends; Orthanc's own service is not used: the test starts its own).
pacs-deps:
	@missing=""; for p in $(DEPS_PACS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing (PACS test):$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing || \
	    { DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; } || \
	    { echo "could not install$$missing: the PACS test will SKIP"; [ -z "$(PACS_STRICT)" ]; }; \
	  else \
	    echo "PACS test packages missing ($$missing); that test will SKIP. As root: make deps"; \
	  fi; \
	fi

# The X packages of the real-terminal test: installed when root.
deps-x:
	@$(MAKE) --no-print-directory check-deps DEPS="$(DEPS_X)"

# The Slurm packages: installed when root (a failure only fails `make deps`;
# for `make test` the Slurm test then says SKIP).
slurm-deps:
	@missing=""; for p in $(DEPS_SLURM); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing (Slurm test):$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing || \
	    { DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; } || \
	    { echo "could not install$$missing: the Slurm test will SKIP"; [ -z "$(SLURM_STRICT)" ]; }; \
	  else \
	    echo "Slurm packages missing ($$missing); the Slurm test will SKIP. As root: make deps"; \
	  fi; \
	fi
