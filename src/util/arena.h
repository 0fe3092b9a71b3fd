/*
 * arena: a bump allocator for jansson.  Between arena_begin() and
 * arena_end() every jansson allocation comes from large chunks that
 * arena_end() recycles at once, so parsing one record costs no malloc and
 * no free per value.  No json_t made inside the window may outlive it.
 */
#ifndef HOPLITE_ARENA_H
#define HOPLITE_ARENA_H

/* Make the arena jansson's allocator (once, before any JSON is made). */
void arena_install(void);
void arena_begin(void);
/* Recycle everything allocated since arena_begin(). */
void arena_end(void);
/* Give the chunks back to the system. */
void arena_release(void);

#endif
