# pulmo - chest CT analysis in the terminal.
#
#   make            build ./pulmo
#   make run        open pulmo on the sample patients (generated when missing)
#   make test       build with ASan+UBSan, run every test, print "N passed, N failed"
#   make bench      benchmark figures
#   make install    PREFIX=/usr/local
#   make deps       install the Debian packages pulmo and its tests need (root)
#
# Sources are found, not listed: every src/<module>/*.c (and the one GDCM
# adapter .cpp) goes into the core library, except the front ends in src/cli
# and src/tui and the terminal probe in src/term, which are linked into the
# pulmo binary. Every tests/test_*.c is
# one test program; every tests/*.sh is one test script.

PREFIX   ?= /usr/local
CC       ?= cc
CXX      ?= g++
OPT      ?= -O2
GDCM_INC ?= /usr/include/gdcm-3.0

WARN     := -Wall -Wextra -Werror -Wno-format-truncation
CFLAGS_  := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iinclude $(WARN) -g -pthread
CXXFLAGS_:= -std=c++17 -Iinclude -isystem $(GDCM_INC) $(WARN) -g -pthread
LIBS     := -lgdcmMSFF -lgdcmDSED -lgdcmCommon -lsixel -lpng -lopenblas -lz -lncursesw -lstdc++ -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Debian packages: build, then what the tests and tools use.
DEPS_BUILD := g++ make pkg-config libgdcm-dev libsixel-dev libncurses-dev libpng-dev zlib1g-dev libopenblas-dev
DEPS_TEST  := time libsixel-bin tmux admesh python3-nibabel python3-numpy
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)

FRONT_DIRS := src/cli src/tui src/term
LIB_C      := $(filter-out $(addsuffix /%,$(FRONT_DIRS)),$(wildcard src/*/*.c))
LIB_CXX    := $(wildcard src/*/*.cpp)
APP_C      := $(wildcard $(addsuffix /*.c,$(FRONT_DIRS)))
HEADERS    := $(wildcard include/pulmo/*.h) $(wildcard src/*/*.h)
TEST_C     := $(wildcard tests/test_*.c)
TEST_SH    := $(wildcard tests/test_*.sh)
BENCH_C    := $(wildcard tests/bench_*.c)

REL := build/rel
SNZ := build/san

rel_obj = $(patsubst src/%,$(REL)/%.o,$(1))
san_obj = $(patsubst src/%,$(SNZ)/%.o,$(1))

.PHONY: all run test bench install clean deps check-deps samples fuzz valgrind
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

$(REL)/%.c.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_) $(OPT) -c -o $@ $<
$(REL)/%.cpp.o: src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	@$(CXX) $(CXXFLAGS_) $(OPT) -c -o $@ $<
$(SNZ)/%.c.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(CFLAGS_) -O1 $(SAN) -c -o $@ $<
$(SNZ)/%.cpp.o: src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CXX san $<"
	@$(CXX) $(CXXFLAGS_) -O1 $(SAN) -c -o $@ $<

# Test programs link the sanitized core library (and tests/test.h).
$(SNZ)/tests/%: tests/%.c tests/test.h $(SNZ)/libpulmo.a
	@mkdir -p $(dir $@)
	@echo "  LD test $@"
	@$(CC) $(CFLAGS_) -Itests -O1 $(SAN) -o $@ $< $(SNZ)/libpulmo.a $(LIBS)

TEST_BINS := $(patsubst tests/%.c,$(SNZ)/tests/%,$(TEST_C))

# Benchmark helpers link the optimised core library.
$(REL)/tests/%: tests/%.c $(REL)/libpulmo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_) $(OPT) -o $@ $< $(REL)/libpulmo.a $(LIBS)
BENCH_BINS := $(patsubst tests/%.c,$(REL)/tests/%,$(BENCH_C))

test: check-deps $(SNZ)/pulmo $(TEST_BINS) samples
	@PULMO=$(SNZ)/pulmo sh tests/run.sh $(TEST_BINS) $(TEST_SH)

bench: check-deps pulmo samples $(BENCH_BINS)
	@sh tests/bench.sh

run: check-deps pulmo samples
	./pulmo samples/patients

# The phantoms are generated, never committed (see samples/README.md):
# DICOM series in samples/patients/<NAME>/, ground truth in samples/truth/.
samples: samples/patients/.done
samples/patients/.done: $(REL)/pulmo
	rm -rf samples/patients samples/truth
	$(REL)/pulmo phantom --all --truth samples/truth samples/patients
	touch $@

install: pulmo
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 pulmo $(DESTDIR)$(PREFIX)/bin/pulmo
	install -m 644 man/pulmo.1 $(DESTDIR)$(PREFIX)/share/man/man1/pulmo.1

clean:
	rm -rf build pulmo

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
