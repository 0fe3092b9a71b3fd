/*
 * uuidset: the UUIDs hoplited must not accept again, because a UUID names
 * a file: those of pending requests, and those written within a window
 * (at most a given number of them, the oldest forgotten first).
 */
#ifndef HOPLITE_UUIDSET_H
#define HOPLITE_UUIDSET_H

#include <stddef.h>

struct uuidset;

/* window_s 0: a UUID is forgotten as soon as it is released. */
struct uuidset *uuidset_new(unsigned window_s, size_t max_written);
int uuidset_has(const struct uuidset *, const char *uuid);
/* Mark pending; -1 when already there (or out of memory). */
int uuidset_hold(struct uuidset *, const char *uuid);
/* The request is over: kept for the window, then forgotten. */
void uuidset_release(struct uuidset *, const char *uuid);
/* Forget those released longer ago than the window. */
void uuidset_sweep(struct uuidset *);
void uuidset_free(struct uuidset *);

#endif
