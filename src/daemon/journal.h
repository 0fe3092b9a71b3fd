/*
 * journal: the requests hoplited accepted and has not yet written a file
 * for, kept on disk so that kill -9 or a power loss does not lose them.
 *
 * One append-only text file in the output volume.  Each line is
 *   <crc> A <id> <when> <ip> <client port> <server port> <kind>:<method|-> <uuid>
 *   <crc> D <id>
 * (an accepted request, and its file landed or its fate was counted);
 * <kind> is the measurement it was accepted for ("paris", "mda"); lines of
 * versions before it read "<method|->", kind "" then;
 * <crc> is the FNV-1a hash of the rest of the line in 8 hex digits, so a
 * torn or corrupt line is recognised, counted and skipped.  Appends are
 * write(2)s (they survive kill -9 at once) fsync'd in batches; the file
 * is rewritten with only the live requests when done lines dominate, so
 * its size stays within twice the live requests plus JOURNAL_SLACK.
 */
#ifndef HOPLITE_JOURNAL_H
#define HOPLITE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/addr.h"
#include "daemon/mlab.h"

#define JOURNAL_NAME	".hoplited.journal"
#define JOURNAL_SLACK	(64 * 1024)	/* done lines tolerated before a rewrite */
#define JOURNAL_SYNC_MS	50		/* appends wait at most this for fsync */
#define JOURNAL_LINE_MAX 512

struct journal_rec {
	uint64_t id;			/* set by journal_add */
	time_t when;			/* wall clock of acceptance */
	struct addr_ip client;
	uint16_t client_port, server_port;	/* 0 when unknown */
	char kind[8];			/* "paris", "mda"; "" in old lines */
	char method[24];		/* "" when the configured one */
	char uuid[MLAB_UUID_MAX + 1];
};

struct journal_stats {
	uint64_t appended;		/* requests added */
	uint64_t done;			/* requests marked done */
	uint64_t bad_lines;		/* corrupt or torn lines skipped at open */
	uint64_t rewrites;		/* compactions */
	uint64_t errors;		/* failed writes, syncs, rewrites */
	size_t live;			/* requests not done */
	uint64_t bytes;			/* file size */
};

struct event_base;
struct journal;

/*
 * Open (creating) the journal at path, read the requests it holds that
 * are not done, and rewrite it with only those.  NULL with a message in
 * err.  base may be NULL: then every append is fsync'd at once.
 */
struct journal *journal_open(struct event_base *, const char *path, char *err,
    size_t errlen);
/* The live requests found at open, oldest first (n in *n), until
 * journal_found_free. */
const struct journal_rec *journal_found(const struct journal *, size_t *n);
void journal_found_free(struct journal *);
/* Append an accepted request; its id, or 0 when it could not be written
 * (logged and counted; the request goes on without a journal entry). */
uint64_t journal_add(struct journal *, struct journal_rec *);
/* The request's file landed (or its loss was counted).  id 0: nothing. */
void journal_done(struct journal *, uint64_t id);
/* fsync now what is pending. */
void journal_sync(struct journal *);
const struct journal_stats *journal_stats(const struct journal *);
/* Sync and close (an empty journal is truncated). */
void journal_close(struct journal *);

/* Pure: one line (without '\n') into rec (kind 'A') or the id (kind 'D');
 * the kind, or -1 when the line is corrupt. */
int journal_parse(const char *line, size_t len, struct journal_rec *rec);

#endif
