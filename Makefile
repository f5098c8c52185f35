# neuromod -- build, test, install. `make help` lists the targets.
PREFIX      ?= /usr/local
LUA_VERSION ?= 5.4
LUA_INCDIR  ?=
LUA_INC     ?= $(if $(LUA_INCDIR),-I$(LUA_INCDIR),$(shell pkg-config --cflags lua$(LUA_VERSION) 2>/dev/null || echo -I/usr/include/lua$(LUA_VERSION)))
BLAS_CFLAGS ?= $(shell pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLAS_LIBS   ?= $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
CC          ?= cc
OPT         ?= -O3
CFLAGS      ?= $(OPT) -g
WARN        := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
# Floating point: no contraction of a*b+c into an FMA (-ffp-contract=off, also -std=c99's default under gcc;
# clang contracts by default and its AVX-512 target includes FMA), so results are the same on every x86-64,
# from both bindings and from every kernel set of c/simd.c. -fno-trapping-math changes no result (neuromod
# never reads the FP exception flags); it lets gcc turn the clamps of nm_tanh into min/max so the activation
# loop vectorises (3x16 step 334 -> 292 ns, 3x64 791 -> 618 ns).
FP_FLAGS    := -ffp-contract=off -fno-trapping-math
# Link-time optimisation: the step crosses small files with one job each (learner, layer table, predictor,
# modulators); LTO inlines across them, so the layout costs nothing (3x64 step, callgrind: 147.4M -> 137.8M
# instructions for 20,000 steps, below the 141.0M of the single-file core it replaced). Results are unchanged:
# no floating-point option differs. LTO= turns it off (the sanitizer build does).
LTO         ?= -flto=auto
# Populations step their members on a pool of POSIX threads (c/population.c).
PTHREAD     := -pthread
ALL_CFLAGS  := $(WARN) $(FP_FLAGS) $(CFLAGS) $(LTO) -fPIC $(PTHREAD) $(BLAS_CFLAGS)
AR          := gcc-ar
BUILD       ?= build
LUA54       ?= lua5.4
LUAJIT      ?= luajit
BUSTED      ?= busted

# The version and the ABI number come from c/neuromod.h, where they are defined once.
nm_header_num = $(shell sed -n 's/^\#define $(1) \([0-9]*\)$$/\1/p' c/neuromod.h)
VERSION     := $(call nm_header_num,NM_VERSION_MAJOR).$(call nm_header_num,NM_VERSION_MINOR).$(call nm_header_num,NM_VERSION_PATCH)
SOVERSION   := $(call nm_header_num,NM_SOVERSION)

CORE_SRC := c/error.c c/rng.c c/checksum.c c/blas.c c/config.c c/layer.c c/layer_dense.c c/layer_recurrent.c c/layer_integrator.c \
            c/network.c c/predictor.c \
            c/modulators.c c/learner_rate.c c/lif.c c/stdp.c c/learner_spiking.c c/agent.c c/continual.c \
            c/checkpoint.c c/ckpt_file.c c/ckpt_io.c c/ckpt_legacy.c c/config_io.c c/simd.c c/population.c c/population_simd.c \
            c/nm_math.c
CORE_OBJ := $(CORE_SRC:c/%.c=$(BUILD)/obj/%.o)
LIB_SO   := $(BUILD)/lib/libneuromod.so
LIB_A    := $(BUILD)/lib/libneuromod.a
LUA_MOD  := $(BUILD)/lua/neuromod/corelib.so
# prop_invariant first: c/test/run.sh starts the first test first, and this one takes longest (about 90 s)
C_TESTS  := $(BUILD)/test/prop_invariant $(BUILD)/test/test_core $(BUILD)/test/test_recurrent \
            $(BUILD)/test/test_population $(BUILD)/test/math_check $(BUILD)/test/test_spiking \
            $(BUILD)/test/expf_check $(BUILD)/test/test_mod_rest $(BUILD)/test/lane_expf_check \
            $(BUILD)/test/prop_population

.PHONY: all test prop prop-population math-check expf-check lane-expf-check soak soak-ci sanitize fuzz env install uninstall rock rock-build rock-install bench clean help run examples
all: $(LIB_SO) $(LIB_A) $(LUA_MOD)

$(BUILD)/obj/%.o: c/%.c c/neuromod.h c/nm_internal.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/simd.o: c/simd_kernels.h
$(BUILD)/obj/population_simd.o: c/population_lanes.h c/population_simd.h
$(BUILD)/obj/population.o: c/population_simd.h
$(BUILD)/obj/nm_math.o $(BUILD)/obj/modulators.o $(BUILD)/obj/network.o $(BUILD)/obj/rng.o: c/nm_math.h
$(BUILD)/obj/checkpoint.o $(BUILD)/obj/ckpt_io.o $(BUILD)/obj/ckpt_legacy.o $(BUILD)/obj/config_io.o \
  $(BUILD)/obj/ckpt_file.o $(BUILD)/obj/population.o: c/ckpt_io.h
$(BUILD)/obj/lif.o $(BUILD)/obj/stdp.o $(BUILD)/obj/learner_spiking.o: c/spiking.h

$(LIB_SO): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LTO) $(CFLAGS) -Wl,-soname,libneuromod.so.$(SOVERSION) -o $@ $(CORE_OBJ) $(BLAS_LIBS) -lm $(PTHREAD) $(LDFLAGS)
	ln -sf libneuromod.so $(BUILD)/lib/libneuromod.so.$(SOVERSION)

$(LIB_A): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $(CORE_OBJ)

# The Lua 5.4 C-API module carries the core statically, so it needs no library path at run time.
$(LUA_MOD): c/lua/lneuromod.c $(CORE_OBJ) c/neuromod.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LUA_INC) -Ic -shared -o $@ c/lua/lneuromod.c $(CORE_OBJ) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/test/%: c/test/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

# Prints the exports that make this shell use the checkout: eval "$$(make -s env)"
env:
	@echo 'export LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/?.lua;;"'
	@echo 'export LUA_CPATH="$(CURDIR)/$(BUILD)/lua/?.so;;"'
	@echo 'export LD_LIBRARY_PATH="$(CURDIR)/$(BUILD)/lib$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"'
	@echo 'export NEUROMOD_LIB="$(CURDIR)/$(BUILD)/lib/libneuromod.so"'
	@echo 'export PATH="$(CURDIR)/bin:$$PATH"'

TEST_ENV = LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/?.lua;;" \
           LUA_CPATH="$(CURDIR)/$(BUILD)/lua/?.so;;" NEUROMOD_LIB="$(CURDIR)/$(BUILD)/lib/libneuromod.so"

test: all $(C_TESTS)
	@$(TEST_ENV) sh c/test/run.sh "$(BUILD)" "$(C_TESTS)" "$(BUSTED)" "$(LUA54) $(LUAJIT)"

# The property test of the agent's invariant (c/test/prop_invariant.c) for longer than `make test` runs it.
PROP_CALLS ?= 5000000
PROP_SEED  ?= 1
prop: $(BUILD)/test/prop_invariant
	./$(BUILD)/test/prop_invariant $(PROP_CALLS) $(PROP_SEED)

# The populations' differential property test (c/test/prop_population.c: random members, kernel sets, thread
# counts and call orders against lone agents, bit for bit) for more cases than `make test` runs (40).
PROP_CASES ?= 2000
prop-population: $(BUILD)/test/prop_population
	./$(BUILD)/test/prop_population $(PROP_CASES) $(PROP_SEED)

# The library's own expf and logf (c/nm_math.c) against the C library's on all 2^32 float inputs (make test
# checks every 251st); both must agree bit for bit. Then its log and cos (nm_rng_normal's) on 10^8 Box-Muller
# draws (make test: 10^6) against a long double reference: correctly rounded.
math-check: $(BUILD)/test/math_check
	./$(BUILD)/test/math_check 1 100000000

# nm_expf's plain and FMA builds against the nm_expf they replaced (c/test/expf_check.c) on all 2^32 float
# inputs, bit for bit (make test checks every 101st); about a minute.
expf-check: $(BUILD)/test/expf_check
	./$(BUILD)/test/expf_check 1

# The population step's lane expf under each kernel set this CPU runs (portable, and FMA with a gather under
# AVX2 and AVX-512) against nm_expf on all 2.24 billion inputs the lanes compute, |x| < 88 (c/test/
# lane_expf_check.c), bit for bit (make test checks every 101st).
lane-expf-check: $(BUILD)/test/lane_expf_check
	./$(BUILD)/test/lane_expf_check 1

# The soak (bench/soak.lua): Go/No-Go training under each backend with a save/load round trip every 2,000
# steps, failing if the resident set or the Lua heap grows after the warm-up. CI runs soak-ci (4M steps per
# backend, about 20 s): its warm-up (the first 30%) must outlast LuaJIT's compiling of the save/load path.
SOAK_STEPS ?= 10000000
soak: all
	$(TEST_ENV) $(LUA54) bench/soak.lua $(SOAK_STEPS)
	$(TEST_ENV) $(LUAJIT) bench/soak.lua $(SOAK_STEPS)

soak-ci:
	$(MAKE) soak SOAK_STEPS=4000000

# Everything again under AddressSanitizer and UndefinedBehaviorSanitizer (gcc's runtimes). The Lua module is
# loaded into an uninstrumented interpreter, so libasan is preloaded; leak checking is off there because the
# interpreter's own exit-time allocations are not ours (the C tests keep it on). The C tests (in turn) and the
# busted run go side by side, each to its own log, printed in that order once both have ended; the target fails
# if either did.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_C_TESTS = ./build-san/test/test_core && ./build-san/test/test_recurrent && ./build-san/test/test_spiking && \
              ./build-san/test/prop_population 60
sanitize:
	$(MAKE) BUILD=build-san CFLAGS="$(SAN_FLAGS)" LTO= LDFLAGS="-fsanitize=address,undefined" all build-san/test/test_core build-san/test/test_recurrent build-san/test/test_spiking build-san/test/prop_population
	@( ASAN_OPTIONS=detect_leaks=1 sh -c '$(SAN_C_TESTS)' > build-san/c-tests.log 2>&1; echo $$? > build-san/c-tests.rc ) & \
	LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LUA_PATH="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/?.lua;;" \
	LUA_CPATH="$(CURDIR)/build-san/lua/?.so;;" NEUROMOD_LIB="$(CURDIR)/build-san/lib/libneuromod.so" \
	$(BUSTED) --lua=$(LUA54) spec > build-san/busted.log 2>&1; b=$$?; wait; \
	cat build-san/c-tests.log build-san/busted.log; c=$$(cat build-san/c-tests.rc); \
	echo "sanitize: C tests exit $$c, busted exit $$b"; [ "$$c" = 0 ] && [ "$$b" = 0 ]

# Fuzz the checkpoint reader (clang + libFuzzer, ASan, UBSan) from real checkpoints (format 4 written by
# make_corpus, the format-2 and format-3 fixtures), in two modes for half of FUZZ_SECONDS each: libFuzzer's byte
# mutations, then the structure-aware mutator of c/test/fuzz_checkpoint.c (length and count fields at their
# limits, extreme floats, header length and CRC fixed up). Each mode has its own corpus directory.
FUZZ_SECONDS ?= 60
fuzz:
	@mkdir -p build-fuzz/corpus build-fuzz/corpus-structure
	cc -std=c99 -O1 -Ic -o build-fuzz/make_corpus c/test/make_corpus.c $(CORE_SRC) $(BLAS_CFLAGS) $(BLAS_LIBS) -lm -pthread
	./build-fuzz/make_corpus build-fuzz/corpus
	./build-fuzz/make_corpus build-fuzz/corpus-structure
	cp c/test/fixtures/*.nmck build-fuzz/corpus/
	clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -Ic $(BLAS_CFLAGS) -o build-fuzz/fuzz_checkpoint \
	  c/test/fuzz_checkpoint.c $(CORE_SRC) $(BLAS_LIBS) -lm -pthread
	./build-fuzz/fuzz_checkpoint -max_total_time=$$(( $(FUZZ_SECONDS) / 2 )) -max_len=65536 build-fuzz/corpus
	NM_FUZZ_MODE=structure ./build-fuzz/fuzz_checkpoint -max_total_time=$$(( $(FUZZ_SECONDS) - $(FUZZ_SECONDS) / 2 )) \
	  -max_len=65536 build-fuzz/corpus-structure

# Lua files go to share/lua/5.4 (the C-API module's Lua side) and share/lua/5.1 (LuaJIT's path, the FFI
# backend); the tasks of envs/ go beside them as neuromod.envs.*, so `neuromod run gonogo` finds them by name.
# bin/neuromod finds <prefix>/share/lua and <prefix>/lib/lua from its own location, so any PREFIX works.
install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_VERSION)/neuromod $(DESTDIR)$(PREFIX)/bin
	for v in $(LUA_VERSION) 5.1; do \
	  install -d $(DESTDIR)$(PREFIX)/share/lua/$$v/neuromod/envs && \
	  install -m 644 lua/neuromod/*.lua $(DESTDIR)$(PREFIX)/share/lua/$$v/neuromod/ && \
	  install -m 644 envs/*.lua $(DESTDIR)$(PREFIX)/share/lua/$$v/neuromod/envs/ || exit 1; \
	done
	install -m 644 c/neuromod.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libneuromod.so.$(VERSION)
	ln -sf libneuromod.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libneuromod.so.$(SOVERSION)
	ln -sf libneuromod.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libneuromod.so
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LUA_MOD) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_VERSION)/neuromod/
	{ echo '# libneuromod is a shared library in $${libdir}: unless the dynamic loader searches that directory'; \
	  echo '# (ldconfig), link with $${rpath} (pkg-config --variable=rpath neuromod) or run with LD_LIBRARY_PATH=$${libdir}.'; \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e '/^includedir=/a rpath=-Wl,-rpath,$${libdir}' \
	    c/neuromod.pc.in; } > $(DESTDIR)$(PREFIX)/lib/pkgconfig/neuromod.pc
	install -m 755 bin/neuromod $(DESTDIR)$(PREFIX)/bin/

# What LuaRocks builds and installs (build type "make"; LUA, LUADIR, LIBDIR and BINDIR come from LuaRocks).
# For Lua 5.4 the C-API module and the shared library; for any other Lua (LuaJIT, which LuaRocks calls 5.1)
# the shared library alone, for the FFI backend; on PUC Lua 5.1-5.3 `require "neuromod"` then says which
# interpreters it supports. The library goes beside the C-API module so that the FFI backend finds it through
# package.cpath.
LUA ?= $(LUA54)
rock-build:
	@if [ "$$($(LUA) -e 'print(jit and "jit" or _VERSION)')" = "Lua 5.4" ]; then \
	  $(MAKE) $(LIB_SO) $(LUA_MOD); else $(MAKE) $(LIB_SO); fi

rock-install:
	install -d $(LUADIR)/neuromod/envs $(LIBDIR)/neuromod $(BINDIR)
	install -m 644 lua/neuromod/*.lua $(LUADIR)/neuromod/
	install -m 644 envs/*.lua $(LUADIR)/neuromod/envs/
	if [ -f $(LUA_MOD) ]; then install -m 755 $(LUA_MOD) $(LIBDIR)/neuromod/; fi
	install -m 755 $(LIB_SO) $(LIBDIR)/neuromod/
	install -m 755 bin/neuromod $(BINDIR)/

# `make rock`: a source rock of this version (from c/neuromod.h) that installs offline: the tracked files as
# a tarball, the rockspec made from rockspec/neuromod-scm-1.rockspec with that version and that tarball as its
# source, then `luarocks pack`. Install it with `luarocks install --tree DIR build/rock/neuromod-*.src.rock`.
ROCK_DIR := $(BUILD)/rock
ROCKSPEC := $(ROCK_DIR)/neuromod-$(VERSION)-1.rockspec
rock:
	rm -rf $(ROCK_DIR) && mkdir -p $(ROCK_DIR)
	git ls-files -z | tar --null -T - --transform 's|^|neuromod-$(VERSION)/|' -czf $(ROCK_DIR)/neuromod-$(VERSION).tar.gz
	sed -e 's|^version = "scm-1"|version = "$(VERSION)-1"|' \
	    -e 's|^source = .*|source = { url = "file://$(abspath $(ROCK_DIR))/neuromod-$(VERSION).tar.gz", dir = "neuromod-$(VERSION)" }|' \
	    rockspec/neuromod-scm-1.rockspec > $(ROCKSPEC)
	grep -q '^version = "$(VERSION)-1"' $(ROCKSPEC)
	cd $(ROCK_DIR) && luarocks pack neuromod-$(VERSION)-1.rockspec
	@ls $(ROCK_DIR)/*.src.rock

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/neuromod.h $(DESTDIR)$(PREFIX)/lib/libneuromod.* \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/neuromod.pc $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_VERSION)/neuromod \
	  $(DESTDIR)$(PREFIX)/share/lua/$(LUA_VERSION)/neuromod $(DESTDIR)$(PREFIX)/share/lua/5.1/neuromod \
	  $(DESTDIR)$(PREFIX)/bin/neuromod

$(BUILD)/bench_step: bench/bench_step.c $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/bench_spiking: bench/bench_spiking.c c/spiking.h $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ bench/bench_spiking.c $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/bench_population: bench/bench_population.c $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/bench_cores: bench/bench_cores.c
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/bench_eligibility: bench/bench_eligibility.c
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/bench_determinism: bench/bench_determinism.c $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/bench_continual: bench/bench_continual.c $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

$(BUILD)/bench_checkpoint: bench/bench_checkpoint.c $(LIB_A)
	$(CC) $(ALL_CFLAGS) -Ic -o $@ $< $(LIB_A) $(BLAS_LIBS) -lm $(LDFLAGS)

# bench_step runs with one OpenBLAS thread: at 256x256 OpenBLAS's threads made a step slower and noisy
# (27 us with threads, 17 us without), which hid the modulators' cost under thread scheduling.
# bench_population: agent-steps per second of populations (1 and 2 threads) beside sequential lone agents, per
# kernel set (BENCH_POP_FLAGS=--quick for a shorter run); bench/population.lua: the same from Lua, one call per
# agent against one per population, under each interpreter; the PyTorch peer is bench/peers/torch_population.py.
# bench_cores: what a second thread buys on this machine without the library (compute, memory stream).
# bench_eligibility: the recurrent layer's fused pass in its eligibility form and in e-prop's factorised one.
# bench_checkpoint: one agent's save and load, in memory and through a file.
BENCH_POP_FLAGS ?=
bench: all $(BUILD)/bench_step $(BUILD)/bench_population $(BUILD)/bench_determinism $(BUILD)/bench_spiking \
       $(BUILD)/bench_continual $(BUILD)/bench_cores $(BUILD)/bench_eligibility $(BUILD)/bench_checkpoint
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_step
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_continual
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_population $(BENCH_POP_FLAGS)
	./$(BUILD)/bench_cores
	./$(BUILD)/bench_eligibility
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_determinism
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_spiking $(BENCH_SPIKING_SECONDS)
	./$(BUILD)/bench_checkpoint
	$(TEST_ENV) $(LUA54) bench/population.lua
	$(TEST_ENV) $(LUAJIT) bench/population.lua
	@if [ -f bench/run.sh ]; then $(TEST_ENV) sh bench/run.sh; fi

run: all
	$(TEST_ENV) $(LUA54) bin/neuromod run envs/gonogo.lua --trials 2000 --seed 1

# The examples, each run as its user would: the Lua ones under both interpreters (creatures.lua, a population
# of 256 stepped each frame, under LuaJIT as a game would run it), the C host built against
# the static library, the LÖVE-style game from a game directory holding a copy of the library (no paths set).
EXAMPLE_GAME = $(BUILD)/examples/love
examples: all
	@for l in $(LUA54) $(LUAJIT); do for e in bandit corridor rlenvs_mountaincar; do \
	  $(TEST_ENV) $$l examples/$$e.lua || exit 1; done; done
	$(TEST_ENV) $(LUAJIT) examples/creatures.lua
	@mkdir -p $(BUILD)/examples
	$(CC) -std=c99 -Wall -Wextra -O2 -Ic -o $(BUILD)/examples/c_host examples/c_host.c $(LIB_A) $(BLAS_LIBS) -lm -pthread
	./$(BUILD)/examples/c_host
	rm -rf $(EXAMPLE_GAME) && mkdir -p $(EXAMPLE_GAME)
	cp examples/love/main.lua examples/love/headless.lua $(EXAMPLE_GAME)/
	cp -r lua/neuromod $(EXAMPLE_GAME)/neuromod && cp $(LIB_SO) $(EXAMPLE_GAME)/libneuromod.so
	cd $(EXAMPLE_GAME) && env -u LUA_PATH -u LUA_CPATH -u NEUROMOD_LIB -u LD_LIBRARY_PATH $(LUAJIT) headless.lua

clean:
	rm -rf build build-san build-fuzz

help:
	@echo "make            build libneuromod (.so, .a) and the Lua 5.4 module"
	@echo "make test       C tests and busted specs"
	@echo "make prop       the invariant's property test, PROP_CALLS=5000000 random calls"
	@echo "make prop-population populations against lone agents under random calls, PROP_CASES=2000 cases"
	@echo "make math-check the library's expf and logf against libm's on all 2^32 inputs, its log and cos on 10^8"
	@echo "make expf-check nm_expf's plain and FMA builds against the replaced nm_expf on all 2^32 inputs"
	@echo "make lane-expf-check the population lanes' expf against nm_expf on all inputs below 88, each kernel set"
	@echo "make soak       10M steps per backend with save/load round trips; fails if memory grows (soak-ci: 1M)"
	@echo "make sanitize   the tests under ASan + UBSan"
	@echo "make fuzz       libFuzzer on the checkpoint reader (FUZZ_SECONDS=60)"
	@echo "make bench      step-cost benchmarks"
	@echo "make run        train Go/No-Go (2,000 trials) and print the result"
	@echo "make examples   run examples/ (Lua under both interpreters, the C host, the headless LÖVE game, creatures)"
	@echo "make install PREFIX=/usr/local"
	@echo "make rock       build/rock/neuromod-VERSION-1.src.rock (installs offline with luarocks)"
	@echo 'eval "$$(make -s env)"   use this checkout from lua5.4 and luajit'
