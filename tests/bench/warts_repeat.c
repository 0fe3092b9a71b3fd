/*
 * warts_repeat: a large warts file for the benchmark, made of the traces
 * of small ones written again and again (libscamperfile; the list and
 * cycle records once).  Not part of the build: bench_convert.py compiles
 * it.   usage: warts_repeat OUT COUNT IN.warts ...
 */
#include <sys/types.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <scamper_addr.h>
#include <scamper_list.h>
#include <scamper_file.h>
#include <scamper_trace.h>
#include <scamper_tracelb.h>

#define MAXOBJ 4096

int
main(int argc, char **argv)
{
	uint16_t types[] = { SCAMPER_FILE_OBJ_TRACE, SCAMPER_FILE_OBJ_TRACELB };
	scamper_file_filter_t *flt;
	scamper_file_t *in, *out;
	uint16_t type[MAXOBJ], t;
	void *obj[MAXOBJ], *o;
	scamper_cycle_t *cycle;
	long count;
	int n = 0;

	if (argc < 4 || (count = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: warts_repeat OUT COUNT IN ...\n");
		return 2;
	}
	flt = scamper_file_filter_alloc(types, 2);
	for (int i = 3; i < argc; i++) {
		if ((in = scamper_file_open(argv[i], 'r', NULL)) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while (n < MAXOBJ && scamper_file_read(in, flt, &t, &o) == 0 &&
		    o != NULL) {
			type[n] = t;
			obj[n++] = o;
		}
		scamper_file_close(in);
	}
	if ((out = scamper_file_open(argv[1], 'w', "warts")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	/* one cycle around everything, as scamper writes one */
	cycle = n == 0 ? NULL : type[0] == SCAMPER_FILE_OBJ_TRACE ?
	    ((scamper_trace_t *)obj[0])->cycle :
	    ((scamper_tracelb_t *)obj[0])->cycle;
	if (cycle != NULL && scamper_file_write_cycle_start(out, cycle) != 0)
		return 1;
	for (long k = 0; k < count; k++)
		for (int i = 0; i < n; i++)
			if ((type[i] == SCAMPER_FILE_OBJ_TRACE ?
			    scamper_file_write_trace(out, obj[i]) :
			    scamper_file_write_tracelb(out, obj[i])) != 0) {
				fprintf(stderr, "write failed\n");
				return 1;
			}
	if (cycle != NULL && scamper_file_write_cycle_stop(out, cycle) != 0)
		return 1;
	scamper_file_close(out);
	printf("%ld\n", count * n);
	return 0;
}
