/* floor.c: the per-request floor: one reused libcurl easy handle, the same
 * requests and headers as linky, the body kept in a reused buffer. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  buffer *b = userdata;
  size_t n = size * nmemb;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 16384;
    char *grown;
    while (cap < b->len + n) cap *= 2;
    if ((grown = realloc(b->data, cap)) == NULL) return 0;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  return n;
}

/* A field of a /proc/self file in KiB: VmHWM of status (the peak resident memory), Private_Dirty
 * of smaps_rollup (the memory this process wrote, shared with no other). */
static long proc_kib(const char *file, const char *field) {
  char line[256];
  long kib = -1;
  size_t n = strlen(field);
  FILE *f = fopen(file, "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':') kib = atol(line + n + 1);
  if (f) fclose(f);
  return kib;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* floor <base url> <token> <prm> <requests> */
int main(int argc, char **argv) {
  CURL *curl;
  struct curl_slist *headers = NULL;
  buffer body = {NULL, 0, 0};
  char auth[4096], url[512];
  int i, n;
  double t0;
  if (argc != 5) { fprintf(stderr, "usage: floor base_url token prm requests\n"); return 2; }
  n = atoi(argv[4]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl = curl_easy_init();
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);
  headers = curl_slist_append(headers, auth);
  headers = curl_slist_append(headers, "Accept: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "bench-floor/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  t0 = now();
  for (i = 0; i < n; i++) {
    /* one day per request, going back from 2026-01-01 (the server ignores the dates) */
    time_t day = (time_t)1767225600 - (time_t)(i + 1) * 86400, next = day + 86400;
    char d0[16], d1[16];
    long status = 0;
    strftime(d0, sizeof d0, "%Y-%m-%d", gmtime(&day));
    strftime(d1, sizeof d1, "%Y-%m-%d", gmtime(&next));
    snprintf(url, sizeof url, "%s/daily_consumption?prm=%s&start=%s&end=%s", argv[1], argv[3], d0, d1);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    body.len = 0;
    if (curl_easy_perform(curl) != CURLE_OK) { fprintf(stderr, "floor: request failed\n"); return 1; }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || body.len == 0) { fprintf(stderr, "floor: HTTP %ld\n", status); return 1; }
  }
  printf("seconds=%.9f\nhwm_kib=%ld\nprivate_kib=%ld\n", now() - t0, proc_kib("/proc/self/status", "VmHWM"),
         proc_kib("/proc/self/smaps_rollup", "Private_Dirty"));
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  free(body.data);
  return 0;
}
