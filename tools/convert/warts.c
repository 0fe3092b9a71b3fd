/* warts: framing, resynchronisation and the libscamperfile loop. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libscamperfile's headers include none of what they use */
#include <sys/types.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <stdint.h>

#include <scamper_addr.h>
#include <scamper_list.h>
#include <scamper_file.h>
#include <scamper_trace.h>
#include <scamper_tracelb.h>
#include <scamper_ping.h>
#include <scamper_tbit.h>
#include <scamper_sting.h>
#include <scamper_sniff.h>
#include <scamper_dealias.h>
#include <scamper_neighbourdisc.h>
#include <scamper_host.h>

#include "mem.h"
#include "report.h"
#include "warts.h"

#define WARTS_HDR 8
#define WARTS_TYPE_MAX 0x10	/* record types scamper writes, and a margin */
/*
 * libscamperfile 20211212 reads an address parameter whole even when the
 * record ends before it (found by fuzzing): every buffer it is given has
 * this many zero bytes after the record, so such a read stays in bounds.
 */
#define WARTS_PAD 64

struct wr {
	struct in_stream *s;
	const char *name;
	size_t maxrec;
	uint8_t *rec;		/* the record being fed to the library */
	size_t len, off, cap;
	uint16_t type;
	uint64_t recno;		/* records framed so far */
	int done;		/* the stream ended, or it cannot go on */
	int stop;		/* the run must stop */
};

static const char *const warts_names[] = {
	[SCAMPER_FILE_OBJ_PING] = "ping",
	[SCAMPER_FILE_OBJ_DEALIAS] = "dealias",
	[SCAMPER_FILE_OBJ_NEIGHBOURDISC] = "neighbourdisc",
	[SCAMPER_FILE_OBJ_TBIT] = "tbit",
	[SCAMPER_FILE_OBJ_STING] = "sting",
	[SCAMPER_FILE_OBJ_SNIFF] = "sniff",
	[SCAMPER_FILE_OBJ_HOST] = "host",
};

static int wr_problem(struct wr *, enum report_reason, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* One problem at the current record; -1 (and stop) under --strict. */
static int
wr_problem(struct wr *w, enum report_reason why, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (report_problem(why, w->name, w->recno, "%s", msg) == -1) {
		w->stop = 1;
		return -1;
	}
	return 0;
}

static int
wr_hdr_ok(const uint8_t *h)
{
	uint16_t type = (uint16_t)(h[2] << 8 | h[3]);

	return h[0] == IN_WARTS_MAGIC0 && h[1] == IN_WARTS_MAGIC1 &&
	    type >= 1 && type <= WARTS_TYPE_MAX;
}

/* Bytes that are no record: slide to the next header.  0 found, -1 end. */
static int
wr_resync(struct wr *w, uint8_t *h)
{
	uint64_t skipped = 0;
	ssize_t n;

	while (!wr_hdr_ok(h)) {
		memmove(h, h + 1, WARTS_HDR - 1);
		skipped++;
		if ((n = in_stream_read(w->s, h + WARTS_HDR - 1, 1)) != 1) {
			if (n == -1)
				w->stop = in_stream_stopped(w->s);
			else
				wr_problem(w, REPORT_BAD_WARTS, "no warts record "
				    "header in the last %llu bytes",
				    (unsigned long long)skipped + WARTS_HDR - 1);
			return -1;
		}
	}
	return wr_problem(w, REPORT_BAD_WARTS, "no warts record header: %llu "
	    "bytes skipped", (unsigned long long)skipped);
}

/* Drop len bytes of the stream.  0, or -1 at its end. */
static int
wr_skip(struct wr *w, uint32_t len)
{
	uint8_t buf[4096];

	while (len > 0) {
		size_t k = len < sizeof(buf) ? len : sizeof(buf);

		if (in_stream_read(w->s, buf, k) != (ssize_t)k)
			return -1;
		len -= (uint32_t)k;
	}
	return 0;
}

/*
 * The next whole record into w->rec.  0; -1 at the end of the stream or
 * when it cannot go on (said here).
 */
static int
wr_next(struct wr *w)
{
	uint8_t h[WARTS_HDR];
	uint32_t len;
	ssize_t n;

	for (;;) {
		if ((n = in_stream_read(w->s, h, WARTS_HDR)) != WARTS_HDR) {
			w->stop = in_stream_stopped(w->s);
			if (n > 0) {
				w->recno++;
				wr_problem(w, REPORT_BAD_WARTS, "a truncated "
				    "warts record (%zd of %d header bytes)", n,
				    WARTS_HDR);
			}
			return -1;
		}
		w->recno++;
		if (!wr_hdr_ok(h) && wr_resync(w, h) == -1)
			return -1;
		w->type = (uint16_t)(h[2] << 8 | h[3]);
		len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
		    (uint32_t)h[6] << 8 | h[7];
		if (len > w->maxrec || (w->type == SCAMPER_FILE_OBJ_ADDR &&
		    len < 3)) {
			if (wr_problem(w, len > w->maxrec ? REPORT_TOO_LARGE :
			    REPORT_BAD_WARTS, "%s (type %u, %lu bytes)",
			    len > w->maxrec ? "a warts record over --max-line" :
			    "a warts address record too short",
			    (unsigned)w->type, (unsigned long)len) == -1 ||
			    wr_skip(w, len) == -1)
				return -1;
			continue;
		}
		break;
	}
	if (mem_grow(&w->rec, &w->cap, WARTS_HDR + (size_t)len, 1) == -1) {
		wr_problem(w, REPORT_TOO_LARGE, "a warts record beyond "
		    "memory (type %u, %lu bytes)", (unsigned)w->type,
		    (unsigned long)len);
		return -1;
	}
	memcpy(w->rec, h, WARTS_HDR);
	n = len > 0 ? in_stream_read(w->s, w->rec + WARTS_HDR, len) : 0;
	if (n != (ssize_t)len) {
		if (n >= 0)
			wr_problem(w, REPORT_BAD_WARTS, "a truncated warts "
			    "record (type %u, %lu bytes missing)",
			    (unsigned)w->type,
			    (unsigned long)(len - (uint32_t)n));
		w->stop |= in_stream_stopped(w->s);
		return -1;
	}
	w->len = WARTS_HDR + (size_t)len;
	w->off = 0;
	return 0;
}

/*
 * libscamperfile's read callback: len bytes in a new buffer, the header
 * and then the body of each record; -2 at the end.
 */
static int
wr_read(void *param, uint8_t **data, size_t len)
{
	struct wr *w = param;

	*data = NULL;
	if (w->off == w->len) {
		if (w->done || wr_next(w) == -1) {
			w->done = 1;
			return -2;
		}
	}
	if (len > w->len - w->off || (*data = calloc(1, len + WARTS_PAD)) ==
	    NULL)
		return -1;
	memcpy(*data, w->rec + w->off, len);
	w->off += len;
	return 0;
}

static void
wr_free(uint16_t type, void *obj)
{
	switch (type) {
	case SCAMPER_FILE_OBJ_TRACE:
		scamper_trace_free(obj);
		break;
	case SCAMPER_FILE_OBJ_TRACELB:
		scamper_tracelb_free(obj);
		break;
	case SCAMPER_FILE_OBJ_PING:
		scamper_ping_free(obj);
		break;
	case SCAMPER_FILE_OBJ_DEALIAS:
		scamper_dealias_free(obj);
		break;
	case SCAMPER_FILE_OBJ_NEIGHBOURDISC:
		scamper_neighbourdisc_free(obj);
		break;
	case SCAMPER_FILE_OBJ_TBIT:
		scamper_tbit_free(obj);
		break;
	case SCAMPER_FILE_OBJ_STING:
		scamper_sting_free(obj);
		break;
	case SCAMPER_FILE_OBJ_SNIFF:
		scamper_sniff_free(obj);
		break;
	case SCAMPER_FILE_OBJ_HOST:
		scamper_host_free(obj);
		break;
	default:
		break;
	}
}

int
warts_run(struct in_stream *s, const char *name, size_t maxrec,
    warts_emit_fn emit, void *ctx)
{
	static uint16_t types[] = { SCAMPER_FILE_OBJ_TRACE,
		SCAMPER_FILE_OBJ_TRACELB, SCAMPER_FILE_OBJ_PING,
		SCAMPER_FILE_OBJ_DEALIAS, SCAMPER_FILE_OBJ_NEIGHBOURDISC,
		SCAMPER_FILE_OBJ_TBIT, SCAMPER_FILE_OBJ_STING,
		SCAMPER_FILE_OBJ_SNIFF, SCAMPER_FILE_OBJ_HOST };
	scamper_file_filter_t *filter = NULL;
	scamper_file_t *sf = NULL;
	struct wr w;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.name = name;
	w.maxrec = maxrec;
	/* the library's own fd is never read: /dev/null stands in */
	if ((filter = scamper_file_filter_alloc(types,
	    sizeof(types) / sizeof(types[0]))) == NULL ||
	    (sf = scamper_file_open((char *)"/dev/null", 'r',
	    (char *)"warts")) == NULL) {
		report_problem(REPORT_READ_ERROR, name, 0,
		    "libscamperfile cannot start a reader");
		goto done;
	}
	scamper_file_setreadfunc(sf, &w, wr_read);
	while (!w.stop) {
		uint16_t type = 0;
		void *obj = NULL;

		if (scamper_file_read(sf, filter, &type, &obj) == -1) {
			if (w.done)
				break;
			/* the library refused this record: drop its rest */
			w.off = w.len;
			if (wr_problem(&w, REPORT_BAD_WARTS, "a warts record "
			    "libscamperfile cannot read (type %u)",
			    (unsigned)w.type) == -1)
				break;
			continue;
		}
		if (obj == NULL)
			break;
		if (type == SCAMPER_FILE_OBJ_TRACE ||
		    type == SCAMPER_FILE_OBJ_TRACELB) {
			if (emit(ctx, type, obj, name, w.recno) == -1)
				w.stop = 1;
		} else if (type < sizeof(warts_names) / sizeof(warts_names[0]) &&
		    warts_names[type] != NULL)
			wr_problem(&w, REPORT_UNSUPPORTED,
			    "warts \"%s\" object", warts_names[type]);
		wr_free(type, obj);
	}
	rc = w.stop ? -1 : 0;
done:
	if (sf != NULL)
		scamper_file_close(sf);
	if (filter != NULL)
		scamper_file_filter_free(filter);
	free(w.rec);
	return rc;
}

void
warts_meta(int type, const void *obj, struct rd_meta *m)
{
	const scamper_list_t *list;
	const scamper_cycle_t *cycle;

	if (type == SCAMPER_FILE_OBJ_TRACE) {
		list = ((const scamper_trace_t *)obj)->list;
		cycle = ((const scamper_trace_t *)obj)->cycle;
	} else {
		list = ((const scamper_tracelb_t *)obj)->list;
		cycle = ((const scamper_tracelb_t *)obj)->cycle;
	}
	memset(m, 0, sizeof(*m));
	m->source = "warts";
	m->uuid = m->cached_uuid = "";
	m->list = list != NULL && list->name != NULL ? list->name : "";
	m->cycle = cycle != NULL ? (int64_t)cycle->id : -1;
	m->hostname = cycle != NULL && cycle->hostname != NULL ?
	    cycle->hostname : "";
}
