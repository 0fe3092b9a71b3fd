# hoplite-convert (included from Makefile.am): traceroute collections into
# datasets for topology research.  It shares only addr, log and arena with
# src/.
bin_PROGRAMS += tools/convert/hoplite-convert
tools_convert_hoplite_convert_SOURCES = \
	tools/convert/main.c \
	tools/convert/in.c tools/convert/in.h \
	tools/convert/rd.c tools/convert/rd.h \
	tools/convert/rec.c tools/convert/rec.h tools/convert/rec_priv.h \
	tools/convert/rec_scamper.c tools/convert/rec_atlas.c \
	tools/convert/rec_warts.c tools/convert/warts.c tools/convert/warts.h \
	tools/convert/sj.c tools/convert/sj.h tools/convert/sj_simd.cc \
	tools/convert/agg.c tools/convert/agg.h \
	tools/convert/merge.c tools/convert/merge.h \
	tools/convert/par.c tools/convert/par.h \
	tools/convert/pfx2as.c tools/convert/pfx2as.h \
	tools/convert/fmt.c tools/convert/fmt.h \
	tools/convert/fmt_csv.c tools/convert/fmt_ndjson.c \
	tools/convert/fmt_agg.c tools/convert/fmt_graph.c \
	tools/convert/out.c tools/convert/out.h \
	tools/convert/report.c tools/convert/report.h \
	tools/convert/schema.c tools/convert/schema.h \
	tools/convert/htab.c tools/convert/htab.h \
	tools/convert/mem.c tools/convert/mem.h \
	src/util/arena.c src/util/arena.h src/util/pfx2as.c src/util/pfx2as.h \
	src/util/addr.c src/util/addr.h src/util/log.c src/util/log.h
tools_convert_hoplite_convert_CPPFLAGS = $(AM_CPPFLAGS) $(LIBARCHIVE_CFLAGS) \
	$(SIMDJSON_CFLAGS)
tools_convert_hoplite_convert_LDADD = $(JANSSON_LIBS) $(LIBARCHIVE_LIBS) \
	$(SCAMPERFILE_LIBS) $(SIMDJSON_LIBS) -lpthread -lm

# Replays tests/fuzz/corpus_convert through the input side (rd, rec, agg);
# the libFuzzer build is `make fuzz`.
CONVERT_FUZZ_SRCS = \
	tools/convert/rd.c tools/convert/rec.c tools/convert/rec_scamper.c \
	tools/convert/rec_atlas.c tools/convert/rec_warts.c \
	tools/convert/warts.c tools/convert/sj.c tools/convert/agg.c \
	tools/convert/report.c tools/convert/htab.c tools/convert/mem.c \
	tools/convert/pfx2as.c tools/convert/in.c src/util/arena.c src/util/addr.c \
	src/util/pfx2as.c \
	src/util/log.c
check_PROGRAMS += tests/fuzz/replay_convert
# The one C++ file (make fuzz compiles it apart, with clang++).
CONVERT_FUZZ_CXX = tools/convert/sj_simd.cc
tests_fuzz_replay_convert_SOURCES = tests/fuzz/fuzz_convert.c \
	tests/fuzz/replay.c $(CONVERT_FUZZ_SRCS) $(CONVERT_FUZZ_CXX)
tests_fuzz_replay_convert_CPPFLAGS = $(AM_CPPFLAGS) $(LIBARCHIVE_CFLAGS) \
	$(SIMDJSON_CFLAGS) -I$(top_srcdir)/tools/convert
tests_fuzz_replay_convert_LDADD = $(JANSSON_LIBS) $(LIBARCHIVE_LIBS) \
	$(SCAMPERFILE_LIBS) $(SIMDJSON_LIBS) -lm

dist_man_MANS += man/hoplite-convert.1

CONVERT_TESTS = \
	tests/convert/test_formats.py \
	tests/convert/test_inputs.sh \
	tests/convert/test_problems.py \
	tests/convert/test_merge.py \
	tests/convert/test_stream.py \
	tests/convert/test_pfx2as.py \
	tests/convert/test_hostile.py \
	tests/convert/test_schema.py \
	tests/convert/test_atlas.py \
	tests/convert/test_warts.py \
	tests/convert/test_jobs.py \
	tests/convert/test_slurm.sh
TESTS += $(CONVERT_TESTS)
# tests/bench (bench_convert.py) and docs are distributed by Makefile.am.
EXTRA_DIST += $(CONVERT_TESTS) tests/convert/conv.py tests/convert/gen.py \
	tests/convert/make_warts.py tests/convert/compare.py \
	tools/slurm/submit.sh tools/slurm/shard.sbatch tools/slurm/merge.sbatch \
	tests/fuzz/lsan-convert.supp \
	tests/convert/data
