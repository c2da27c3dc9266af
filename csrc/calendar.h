/* calendar.h: civil dates, the Conso API's timestamp formats and Europe/Paris time.
 * Pure C, no Lua: shared by the normaliser, the Lua-facing helpers and the fuzzer. */
#ifndef LINKY_CALENDAR_H
#define LINKY_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) /* internal to the module: only luaopen_linky_core is exported */
#pragma GCC visibility push(hidden)
#endif

typedef struct {
  int64_t local;     /* seconds since 1970-01-01 00:00 of the written wall-clock time */
  int has_offset;    /* an explicit UTC offset ("Z", "+01:00") was written */
  int offset;        /* that offset in seconds east of UTC */
  int has_time;      /* a time of day was written */
} linky_stamp;

int64_t linky_days_from_civil(int64_t y, int m, int d);
void linky_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction and "Z"/"+HH:MM"/"-HH:MM". Returns 1 on success, 0 if not a valid date. */
int linky_parse_stamp(const char *s, size_t len, linky_stamp *out);

/* UTC offset of Europe/Paris at a UTC instant: 7200 in summer time, else 3600. */
int linky_paris_offset(int64_t utc);

/* Epoch seconds of a Paris wall-clock time. In the autumn hour that repeats,
 * the summer reading is taken unless it would not be after `prev` (the previous
 * point of a series, when has_prev): then it is the second, winter occurrence. */
int64_t linky_paris_to_utc(int64_t local, int has_prev, int64_t prev);

/* Epoch seconds of a parsed stamp, honouring an explicit offset. */
int64_t linky_stamp_to_utc(const linky_stamp *st, int has_prev, int64_t prev);

/* ISO 8601 durations as the API writes steps: "PT30M", "PT1H", "P1D"... (days, hours,
 * minutes and seconds, each at most once, in that order, with at most 9 digits).
 * Returns seconds, or -1 if not understood. */
int64_t linky_parse_duration(const char *s, size_t len);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
