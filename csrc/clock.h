/* clock.h: a monotonic clock in seconds, for the deadlines of the C core's event loops (libcurl's
 * timer in transfer.c, the MQTT client's waits in mqtt.c), which no change of the wall clock moves. */
#ifndef LINKY_CLOCK_H
#define LINKY_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC in seconds; 0 if it cannot be read. */
static inline double linky_monotonic(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
