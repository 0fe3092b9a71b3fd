/* t.h: a minimal unit-test harness (automake exit codes: 0 pass, 1 fail). */
#ifndef HOPLITE_T_H
#define HOPLITE_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed, t_checks;

#define T_CHECK(cond) do {						\
	t_checks++;							\
	if (!(cond)) {							\
		t_failed++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define T_EQ_INT(a, b) do {						\
	long long t_a_ = (long long)(a), t_b_ = (long long)(b);		\
	t_checks++;							\
	if (t_a_ != t_b_) {						\
		t_failed++;						\
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
		    __FILE__, __LINE__, #a, t_a_, #b, t_b_);		\
	}								\
} while (0)

#define T_EQ_STR(a, b) do {						\
	const char *t_a_ = (a), *t_b_ = (b);				\
	t_checks++;							\
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) {	\
		t_failed++;						\
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
		    __FILE__, __LINE__, #a, t_a_ ? t_a_ : "(null)",	\
		    t_b_ ? t_b_ : "(null)");				\
	}								\
} while (0)

#define T_EQ_MEM(a, b, n) do {						\
	t_checks++;							\
	if (memcmp((a), (b), (n)) != 0) {				\
		t_failed++;						\
		fprintf(stderr, "%s:%d: %s differs from %s\n",		\
		    __FILE__, __LINE__, #a, #b);			\
		t_hexdump("got", (const unsigned char *)(a), (n));	\
		t_hexdump("want", (const unsigned char *)(b), (n));	\
	}								\
} while (0)

static inline void
t_hexdump(const char *label, const unsigned char *p, size_t n)
{
	fprintf(stderr, "  %-4s ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", p[i], (i % 16 == 15 && i + 1 < n) ? "\n       " : "");
	fputc('\n', stderr);
}

/* Decode a hex string (whitespace ignored) into buf; returns bytes or -1. */
static inline int
t_unhex(const char *s, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;
		if (*s == ' ' || *s == '\n' || *s == '\t')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		buf[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

/* Call at the end of main: prints a summary, returns the exit code. */
#define T_DONE() (fprintf(stderr, "%d checks, %d failed\n", t_checks, t_failed), \
	t_failed ? 1 : 0)

#endif
