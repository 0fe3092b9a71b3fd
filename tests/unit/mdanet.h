/*
 * mdanet: support for the MDA unit tests (test_mda.c): simnet with an
 * engine, measurements, graph topologies, and ground-truth checks.
 */
#ifndef HOPLITE_MDANET_H
#define HOPLITE_MDANET_H

#include <stddef.h>
#include <stdint.h>

#include "probe/engine.h"
#include "simnet.h"
#include "measure/mda.h"

#define RUN_LIMIT_MS	20000

struct tenv {
	struct event_base *base;
	struct simnet *sn;
	struct engine *eng;
	unsigned active;
};

struct job {
	struct tenv *env;
	struct mda *m;
	unsigned ndone;
};

void tenv_init(struct tenv *);
void tenv_free(struct tenv *);
/* Start a measurement; job_done stops the loop when the last one ends. */
struct job *job_start(struct tenv *, const struct mda_conf *, const char *dst);
void job_free(struct job *);
/* job_start() and the simulated network run until the job is done; a job
 * that does not finish within RUN_LIMIT_MS aborts the test. */
struct job *run_one(struct tenv *, const struct mda_conf *, const char *dst);
/* Method and rule, 99 %, wait 300 ms; the rest defaults. */
void conf_init(struct mda_conf *, enum mda_method, enum mda_rule);

/* Router n's address, destination n's address, by family. */
const char *naddr(int family, unsigned n);
const char *dname(int family, unsigned n);
/* Routers 0..n-1 (addresses naddr(i + 1)); edges as (from, to) pairs,
 * to -1 for the destination. */
struct simnet_dest *graph(struct tenv *, const char *dst, unsigned n,
    const int (*edges)[2], size_t nedges);
#define GRAPH(e, dst, n, edges) \
	graph(e, dst, n, edges, sizeof(edges) / sizeof(edges[0]))

struct outcome {
	unsigned missed, false_links, unknown, bad_probes, tails;
	unsigned perpacket;		/* vertices flagged */
};
/* The graph node of vertex v: index, -1 the destination, -2 unknown. */
int node_of(const struct simnet_dest *, const struct mda_result *, int32_t v);
/* Compare a result with the graph: links between answering routers
 * (across silent ones, as gaps), probes, flags.  Prints what differs (and
 * with MDA_DEBUG set, every probe). */
struct outcome check(const struct simnet_dest *, const struct mda_result *);

/* The topologies (router indices; -1 the destination): see mdanet.c. */
extern const int diamond2[6][2];
extern const int diamond1[5][2];
extern const int fan4n[16][2];
extern const int meshed[9][2];
extern const int meshed3[17][2];
extern const int lenasym[6][2];
extern const int nested[10][2];
extern const int line3[3][2];
/* The probes of r as simnet saw them from index lo on: every hashed field
 * but the method's one constant, that one mda_flowid_value of the flow.
 * 1 if so (else prints what differs). */
int check_fields(const struct tenv *, const struct mda_result *, size_t lo);

#endif
