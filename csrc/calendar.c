/* calendar.c: civil dates, timestamp parsing and Europe/Paris time.
 * The EU daylight-saving rule is coded in so results never depend on the process TZ. */
#include "calendar.h"

/* Howard Hinnant's days_from_civil: proleptic Gregorian, any year. */
int64_t linky_days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void linky_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  int64_t era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m) {
  static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 ? 28 + leap : len[m - 1];
}

/* Reads exactly n decimal digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out) {
  int v = 0;
  for (; n > 0; n--, (*i)++) {
    if (*i >= len || s[*i] < '0' || s[*i] > '9') return 0;
    v = v * 10 + (s[*i] - '0');
  }
  *out = v;
  return 1;
}

static int expect(const char *s, size_t len, size_t *i, char c) {
  if (*i >= len || s[*i] != c) return 0;
  (*i)++;
  return 1;
}

int linky_parse_stamp(const char *s, size_t len, linky_stamp *out) {
  size_t i = 0;
  int y, mo, d, h = 0, mi = 0, se = 0;
  out->has_offset = 0;
  out->offset = 0;
  out->has_time = 0;
  if (!digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-') ||
      !digits(s, len, &i, 2, &mo) || !expect(s, len, &i, '-') ||
      !digits(s, len, &i, 2, &d))
    return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return 0;
  if (i < len && (s[i] == ' ' || s[i] == 'T')) {
    i++;
    if (!digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &mi) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &se))
      return 0;
    if (h > 23 || mi > 59 || se > 59) return 0;
    out->has_time = 1;
    if (i < len && s[i] == '.') { /* fractions of a second are dropped */
      i++;
      if (i >= len || s[i] < '0' || s[i] > '9') return 0;
      while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < len && s[i] == 'Z') {
      i++;
      out->has_offset = 1;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i] == '-' ? -1 : 1, oh, om;
      i++;
      if (!digits(s, len, &i, 2, &oh) || !expect(s, len, &i, ':') ||
          !digits(s, len, &i, 2, &om) || oh > 14 || om > 59)
        return 0;
      out->has_offset = 1;
      out->offset = sign * (oh * 3600 + om * 60);
    }
  }
  if (i != len) return 0;
  out->local = linky_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
  return 1;
}

/* Summer time runs from the last Sunday of March to the last Sunday of October,
 * both at 01:00 UTC (EU rule). */
static int64_t last_sunday_0100(int64_t year, int month) {
  int64_t day = linky_days_from_civil(year, month, 31);
  int64_t weekday = (day + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
  if (weekday < 0) weekday += 7;
  return (day - weekday) * 86400 + 3600;
}

int linky_paris_offset(int64_t utc) {
  int64_t y;
  int m, d;
  int64_t days = utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
  linky_civil_from_days(days, &y, &m, &d);
  if (utc >= last_sunday_0100(y, 3) && utc < last_sunday_0100(y, 10)) return 7200;
  return 3600;
}

int64_t linky_paris_to_utc(int64_t local, int has_prev, int64_t prev) {
  int64_t summer = local - 7200, winter = local - 3600;
  int summer_ok = linky_paris_offset(summer) == 7200;
  int winter_ok = linky_paris_offset(winter) == 3600;
  if (summer_ok && winter_ok) /* the repeated autumn hour */
    return has_prev && prev >= summer ? winter : summer;
  if (summer_ok) return summer;
  return winter; /* winter time, or a spring-gap time read as winter time */
}

int64_t linky_stamp_to_utc(const linky_stamp *st, int has_prev, int64_t prev) {
  if (st->has_offset) return st->local - st->offset;
  return linky_paris_to_utc(st->local, has_prev, prev);
}

int64_t linky_parse_duration(const char *s, size_t len) {
  /* each designator at most once and in this order, D before the T and the others after it:
   * with at most 9 digits each, the total stays under 10^14, far from overflow */
  static const char units[] = "DHMS";
  static const int64_t seconds[] = {86400, 3600, 60, 1};
  size_t i = 0;
  int64_t total = 0;
  int next = 0, in_time = 0, any = 0, any_time = 0;
  if (!expect(s, len, &i, 'P')) return -1;
  while (i < len) {
    int64_t n = 0;
    int nd = 0, u;
    if (s[i] == 'T') {
      if (in_time) return -1;
      in_time = 1;
      next = 1;
      i++;
      continue;
    }
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      if (++nd > 9) return -1;
      n = n * 10 + (s[i++] - '0');
    }
    if (nd == 0 || i >= len) return -1;
    for (u = next; u < 4 && units[u] != s[i]; u++) {}
    if (u == 4 || (u == 0) == in_time) return -1;
    i++;
    total += n * seconds[u];
    next = u + 1;
    any = 1;
    any_time |= in_time;
  }
  if (in_time && !any_time) return -1;
  return any ? total : -1;
}
