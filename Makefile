# vmastat/Makefile

MODULE_big = vmastat
OBJS = \
	$(WIN32RES) \
	src/discovery.o \
	src/guc.o \
	src/kinds.o \
	src/launcher.o \
	src/leak_contexts.o \
	src/leak_model.o \
	src/leak_names.o \
	src/leak_sample.o \
	src/leak_store.o \
	src/leak_views.o \
	src/memctx.o \
	src/memctx_log.o \
	src/memctx_parser.o \
	src/procfs.o \
	src/sampler.o \
	src/scan.o \
	src/summary.o \
	src/sys_parser.o \
	src/system.o \
	src/vma_kind.o \
	src/vma_parser.o \
	src/vmas.o \
	src/vmastat.o

EXTENSION = vmastat
DATA = sql/vmastat--1.0.sql sql/vmastat--1.0--1.1.sql sql/vmastat--1.1--1.2.sql \
	sql/vmastat--1.2.sql
PGFILEDESC = "vmastat - memory of server processes from /proc"

REGRESS = objects processes parse privileges leaks
REGRESS_OPTS = --inputdir=$(srcdir)/test/regress
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
EXTRA_CLEAN = test/unit/vma_parser_test test/unit/pid_reuse_test test/unit/sys_parser_test \
	test/unit/leak_model_test test/unit/memctx_parser_test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# without PostgreSQL's development files only "make demo" works: it
# installs them first
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
endif

# The parser and the classification are plain C: their unit tests build
# without PostgreSQL, with the sanitizers on.
PARSER_SRCS = src/vma_parser.c src/vma_kind.c
PARSER_HDRS = src/vma_parser.h src/vma_kind.h
UNIT_CFLAGS = -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Isrc

test/unit/vma_parser_test: test/unit/vma_parser_test.c $(PARSER_SRCS) $(PARSER_HDRS)
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/vma_parser_test.c $(PARSER_SRCS)

# The parsers of the host and cgroup memory files, also plain C
test/unit/sys_parser_test: test/unit/sys_parser_test.c test/unit/unit_check.h src/sys_parser.c src/sys_parser.h
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/sys_parser_test.c src/sys_parser.c

# The leak model, plain C as well, fed with simulated sessions
LEAK_TEST_SRCS = test/unit/leak_model_test.c test/unit/leak_sim.c src/leak_model.c
test/unit/leak_model_test: $(LEAK_TEST_SRCS) test/unit/leak_sim.h test/unit/unit_check.h src/leak_model.h
	$(CC) $(UNIT_CFLAGS) -o $@ $(LEAK_TEST_SRCS) -lm
# The parser of memory context dumps in the server log, plain C too
test/unit/memctx_parser_test: test/unit/memctx_parser_test.c test/unit/unit_check.h src/memctx_parser.c src/memctx_parser.h
	$(CC) $(UNIT_CFLAGS) -o $@ test/unit/memctx_parser_test.c src/memctx_parser.c

# The kernel guarantee procfs.c relies on for reused PIDs; needs root,
# exits 77 (skipped) without
test/unit/pid_reuse_test: test/unit/pid_reuse_test.c
	$(CC) -std=c11 -g -O1 -Wall -Wextra -Werror -o $@ test/unit/pid_reuse_test.c

unittest: test/unit/vma_parser_test test/unit/sys_parser_test test/unit/leak_model_test \
		test/unit/memctx_parser_test test/unit/pid_reuse_test
	test/unit/vma_parser_test test/fixtures
	test/unit/sys_parser_test
	test/unit/leak_model_test test/unit/memctx_parser_test
	test/unit/memctx_parser_test test/fixtures
	test/unit/pid_reuse_test || [ $$? -eq 77 ]

# Everything CI runs: unit tests, pg_regress and TAP on a throwaway cluster.
# No prerequisite: test/run_tests.sh first installs what the suite needs
# (PostgreSQL's development files among it) and then builds.
test:
	test/run_tests.sh

demo:
	tools/demo.sh

# The generated tables of doc/reference.md, from the catalog of a running
# server where vmastat is installed (PGHOST, PGPORT, PGDATABASE as for psql)
reference:
	$(bindir)/psql -XAtq -v ON_ERROR_STOP=1 -f tools/reference.sql | \
		perl tools/reference.pl doc/reference.md

# Static analysis of src/; clang-tidy's choices are in .clang-tidy
LINT_DEFINES = -D__linux__ -D__$(shell uname -m)__ -D__GNUC__=12 -D_GNU_SOURCE
lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,performance,portability,style \
		--suppress=missingIncludeSystem \
		$(LINT_DEFINES) -Isrc -I$(includedir_server) src/
	clang-tidy --quiet src/*.c -- -Isrc -I$(includedir_server) -D_GNU_SOURCE

.PHONY: unittest test demo reference lint

# libFuzzer target for the same sources.  "make fuzz" runs it for
# FUZZ_SECONDS on a corpus seeded from the fixtures; crashes are written
# to test/fuzz/corpus/artifacts/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 32768
FUZZ_CFLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Isrc
EXTRA_CLEAN += test/fuzz/fuzz_parser

test/fuzz/fuzz_parser: test/fuzz/fuzz_parser.c $(PARSER_SRCS) $(PARSER_HDRS) \
		src/leak_model.c src/leak_model.h src/memctx_parser.c src/memctx_parser.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/fuzz/fuzz_parser.c $(PARSER_SRCS) \
		src/leak_model.c src/memctx_parser.c -lm

fuzz: test/fuzz/fuzz_parser
	mkdir -p test/fuzz/corpus/inputs test/fuzz/corpus/artifacts
	cp test/fixtures/*.maps test/fixtures/*.smaps test/fixtures/*.smaps_rollup \
		test/fixtures/*.status test/fuzz/corpus/inputs/
	for f in test/fixtures/memctx_*.log test/fixtures/memctx_*.csv \
		test/fixtures/memctx_*.json; do \
		head -c $(FUZZ_MAX_LEN) $$f > test/fuzz/corpus/inputs/$$(basename $$f); \
	done
	test/fuzz/fuzz_parser -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
		-dict=test/fuzz/proc.dict -artifact_prefix=test/fuzz/corpus/artifacts/ \
		-print_final_stats=1 test/fuzz/corpus/inputs

.PHONY: fuzz

# "make test" against the other PostgreSQL versions too, each in a Debian
# chroot made by debootstrap (as root); see tools/matrix.sh for the settings.
MATRIX_VERSIONS ?= 17 18 19

matrix:
	MATRIX_VERSIONS="$(MATRIX_VERSIONS)" tools/matrix.sh

.PHONY: matrix

# "make bench": vmastat against the kernel floor and against pmap and smem,
# on a throwaway cluster with many idle sessions; settings come from the
# environment or the command line (make bench SESSIONS=1000 PASSES=3), see
# tools/bench/bench.sh.  The programs below are its helpers.  Then the leak
# finder's part on a cluster of its own: query times over fed history,
# storage, the sampler's CPU (LEAK_PROCESSES=0 skips it), see
# tools/bench/leak_bench.sh.
BENCH_CFLAGS = -std=c11 -O2 -Wall -Wextra
BENCH_PROGRAMS = tools/bench/floor tools/bench/sessions tools/bench/parse_bench \
	tools/bench/lockprobe
EXTRA_CLEAN += $(BENCH_PROGRAMS)

tools/bench/floor: tools/bench/floor.c
	$(CC) $(BENCH_CFLAGS) -o $@ tools/bench/floor.c

tools/bench/sessions: tools/bench/sessions.c
	$(CC) $(BENCH_CFLAGS) -I$(shell $(PG_CONFIG) --includedir) -o $@ \
		tools/bench/sessions.c -L$(shell $(PG_CONFIG) --libdir) -lpq

tools/bench/parse_bench: tools/bench/parse_bench.c $(PARSER_SRCS) $(PARSER_HDRS)
	$(CC) $(BENCH_CFLAGS) -Isrc -o $@ tools/bench/parse_bench.c $(PARSER_SRCS)

tools/bench/lockprobe: tools/bench/lockprobe.c
	$(CC) $(BENCH_CFLAGS) -o $@ tools/bench/lockprobe.c

# BENCH_ARGS=--smoke: the few-second pass that make test runs
bench: all $(BENCH_PROGRAMS)
	tools/bench/bench.sh $(BENCH_ARGS)
	tools/bench/leak_bench.sh $(BENCH_ARGS)

.PHONY: bench
