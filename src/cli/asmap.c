/* asmap: a pfx2as file through zlib into util/pfx2as. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cli/asmap.h"

#define ASMAP_LINE	512

struct asmap {
	gzFile gz;
	char *path;
};

const char *
asmap_path(const char *given)
{
	const char *env;

	if (given != NULL)
		return given;
	if ((env = getenv("HOPLITE_PFX2AS")) != NULL && *env != '\0')
		return env;
	return HOPLITE_PFX2AS;
}

struct asmap *
asmap_open(const char *path, char *err, size_t errlen)
{
	struct asmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* gzopen reads plain files as they are. */
	if ((m->gz = gzopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    errno != 0 ? strerror(errno) : "cannot open");
		asmap_close(m);
		return NULL;
	}
	return m;
}

struct pfx2as *
asmap_read(struct asmap *m, unsigned long *bad, char *err, size_t errlen)
{
	struct pfx2as *p;
	char line[ASMAP_LINE + 2];
	unsigned long lineno = 0;
	int zerr;

	*bad = 0;
	if ((p = pfx2as_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (gzgets(m->gz, line, sizeof(line)) != NULL) {
		size_t n = strlen(line);
		const char *why;
		int rc;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!gzeof(m->gz)) {
			/* Overlong: count it and skip to its end. */
			int c;

			while ((c = gzgetc(m->gz)) != -1 && c != '\n')
				;
			(*bad)++;
			continue;
		}
		if ((rc = pfx2as_add_line(p, line, n, &why)) == -2) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (rc == -1)
			(*bad)++;
	}
	gzerror(m->gz, &zerr);
	if (zerr != Z_OK && zerr != Z_STREAM_END) {
		snprintf(err, errlen, "%s: line %lu: %s", m->path, lineno + 1,
		    gzerror(m->gz, &zerr));
		goto fail;
	}
	if (pfx2as_finish(p) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pfx2as_count(p) == 0) {
		snprintf(err, errlen, "%s: no prefix<TAB>length<TAB>AS line",
		    m->path);
		goto fail;
	}
	return p;
fail:
	pfx2as_free(p);
	return NULL;
}

void
asmap_close(struct asmap *m)
{
	if (m == NULL)
		return;
	if (m->gz != NULL)
		gzclose(m->gz);
	free(m->path);
	free(m);
}
