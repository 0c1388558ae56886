# vmastat/Makefile

MODULE_big = vmastat
OBJS = \
	$(WIN32RES) \
	src/procfs.o \
	src/vma_kind.o \
	src/vma_parser.o \
	src/vmastat.o

EXTENSION = vmastat
DATA = sql/vmastat--1.0.sql
PGFILEDESC = "vmastat - memory of server processes from /proc"

REGRESS = vmastat

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
