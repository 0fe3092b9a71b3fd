/*
 * par: -j N.  The inputs (a directory: each of its files, in the order
 * in_run() walks it) are read by N worker threads, each with its own
 * record, tables and problem list.  The output stays that of one thread:
 * inputs take turns in order, and only the worker whose input has the
 * turn writes (its rows kept in memory until then are written first),
 * reports its problems and merges its tables into the run's.  A worker
 * whose rows outgrow PAR_MEM waits for its turn, and then writes as it
 * reads.  A worker done with an input before its turn leaves it parked
 * (rows, tables, problems) and reads the next: the worker that passes
 * the turn to a parked input writes it.  Each input in hand has its own
 * state (par_ops' worker); at most 2N inputs are in hand at once: memory
 * stays bounded.
 * A large plain file of M-Lab files is shared in chunks (PAR_SPLIT).
 */
#ifndef HOPLITE_CONVERT_PAR_H
#define HOPLITE_CONVERT_PAR_H

#include <stddef.h>
#include <stdint.h>

/* The environment's HOPLITE_CONVERT_PAR_MEM overrides it (tests). */
#define PAR_MEM ((size_t)32 << 20)
/*
 * A plain file of twice this or more, made of M-Lab files (its first line a
 * metadata line), is read in chunks of about this size, each starting at
 * a metadata line.  HOPLITE_CONVERT_PAR_SPLIT overrides it (tests).
 */
#define PAR_SPLIT ((uint64_t)8 << 20)

/* One input: a path, or a chunk of a file. */
struct par_in {
	char *path;
	int err;		/* an unreadable directory entry: its errno */
	int chunk;		/* 0: the whole input; else 1 + its index */
	int last;		/* the file's last chunk */
	uint64_t off, len;	/* the chunk's bytes */
	uint64_t fsize;		/* the file's */
};

struct par_ops {
	/* A worker's state (one per input in hand: 2N, made before any
	 * thread runs); NULL: out of memory. */
	void *(*worker_new)(void *ctx);
	void (*worker_free)(void *w);
	/* Read one input (the report's problems are kept meanwhile).  -1
	 * stops the run. */
	int (*input)(void *w, const struct par_in *);
	/*
	 * The input has its turn: what was kept goes out, the rest of it
	 * will go straight out.  1: what was read must be read again (a
	 * chunk read from a state the chunk before did not leave): what
	 * was kept is dropped and redo() reads it with the turn.
	 */
	int (*turn)(void *w);
	int (*redo)(void *w, const struct par_in *);
	/* It is done and has the turn: its tables into the run's, and
	 * ready for the next input.  -1 stops the run. */
	int (*done)(void *w);
	/* The run stopped before its turn: what it read is dropped. */
	void (*drop)(void *w);
	/* A worker thread ends (what it kept per thread goes back).  A
	 * state is used by one thread at a time, not always the same. */
	void (*thread_exit)(void);
};

/*
 * Read every input with n threads.  0; -1 when the run stopped; 1 when
 * there are fewer than two inputs to share (nothing was read).
 */
int par_run(int n, char **paths, int npaths, const struct par_ops *,
    void *ctx);
/*
 * From a worker, after each record: rows in memory past PAR_MEM make it
 * wait for its turn (and take it).  -1: the run stopped, stop reading.
 */
int par_check(size_t bytes);

#endif
