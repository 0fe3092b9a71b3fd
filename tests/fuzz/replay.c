/*
 * replay: feed files (or every file of the directories given) to
 * LLVMFuzzerTestOneInput, so the fuzz corpus runs as a plain test without
 * libFuzzer.  Exit 0 when every input ran, 1 on errors or no inputs.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path, size_t *count)
{
	FILE *fp;
	uint8_t *buf = NULL, *copy = NULL;
	size_t n;
	int rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX)) == NULL)
		goto done;
	n = fread(buf, 1, REPLAY_MAX, fp);
	if (ferror(fp) || !feof(fp)) {
		fprintf(stderr, "replay: %s: read error or too large\n", path);
		goto done;
	}
	/* An exactly sized copy, so sanitizers see any over-read. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		goto done;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	(*count)++;
	rc = 0;
done:
	free(copy);
	free(buf);
	fclose(fp);
	return rc;
}

static int
replay_dir(const char *dir, size_t *count)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path)) {
			rc = -1;
			continue;
		}
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path, count) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	size_t count = 0;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: replay file|dir ...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) == -1)
				rc = -1;
		} else if (replay_file(argv[i], &count) == -1)
			rc = -1;
	}
	printf("replayed %zu inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	return rc == 0 ? 0 : 1;
}
