/*
 * arena: a bump allocator for jansson.  Between arena_begin() and
 * arena_end() every jansson allocation comes from large chunks that
 * arena_end() recycles at once, so parsing one record costs no malloc and
 * no free per value.  No json_t made inside the window may outlive it.
 */
#ifndef HOPLITE_ARENA_H
#define HOPLITE_ARENA_H

#include <stddef.h>

/* Make the arena jansson's allocator (once, before any JSON is made). */
void arena_install(void);
void arena_begin(void);
/* Recycle everything allocated since arena_begin(). */
void arena_end(void);
/*
 * From now on, fail (return NULL to jansson) once max more bytes have been
 * allocated, inside the arena window or not; SIZE_MAX lifts the cap.  A
 * parser given a cap fails with json_error_out_of_memory instead of
 * taking what a hostile document asks for (jansson does not always say
 * so: arena_refused() does).
 */
void arena_cap(size_t max);
/* Whether an allocation was refused since the last arena_cap(). */
int arena_refused(void);
/* Give the chunks back to the system. */
void arena_release(void);

#endif
