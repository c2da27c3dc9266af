/* server.c: the benchmark's loopback HTTP/1.1 server: fixed keep-alive responses, counted, whose
 * dates are those the request asks for (linky drops points outside the days it asked for).
 * Prints "<port> <control port> <pid>"; each connection to the control port reads and resets the counts. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONN 64
#define REQ_MAX 8192

typedef struct {
  int fd;
  size_t len;
  char req[REQ_MAX];
} conn;

#define MAX_DATES 8
#define FIRST_DAY "2025-12-31" /* the day of the bodies bench/bodies.lua writes */
#define STOP_DAY "2026-01-01"

typedef struct {
  const char *prefix; /* request path prefix */
  char *response;     /* status line, headers and body */
  size_t len;
  size_t first[MAX_DATES], stop[MAX_DATES]; /* offsets of the body's dates */
  int nfirst, nstop;
} route;

static route routes[2];
static long requests, connections;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *s;
  long n;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) { perror(path); exit(1); }
  rewind(f);
  s = malloc((size_t)n + 1);
  if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(1); }
  fclose(f);
  *len = (size_t)n;
  return s;
}

static void make_route(route *r, const char *prefix, const char *body_path) {
  size_t blen, hlen, i;
  char *body = slurp(body_path, &blen), head[256];
  hlen = (size_t)snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                          "Content-Length: %zu\r\n\r\n", blen);
  r->prefix = prefix;
  r->response = malloc(hlen + blen);
  if (!r->response) exit(1);
  memcpy(r->response, head, hlen);
  memcpy(r->response + hlen, body, blen);
  r->len = hlen + blen;
  free(body);
  r->nfirst = r->nstop = 0;
  for (i = hlen; i + 10 <= r->len; i++) {
    if (memcmp(r->response + i, FIRST_DAY, 10) == 0 && r->nfirst < MAX_DATES) r->first[r->nfirst++] = i;
    if (memcmp(r->response + i, STOP_DAY, 10) == 0 && r->nstop < MAX_DATES) r->stop[r->nstop++] = i;
  }
}

/* The 10 characters after `name` in the request line (up to `end`), or NULL. */
static const char *param(const char *req, const char *end, const char *name) {
  const char *p = strstr(req, name);
  return p && p + strlen(name) + 10 <= end ? p + strlen(name) : NULL;
}

/* Writes the request's days into the response's dates (same length: Content-Length holds). */
static void set_dates(route *r, const char *req, const char *end) {
  const char *first = param(req, end, "dateDebut="), *stop = param(req, end, "dateFin=");
  int i;
  if (!first) first = param(req, end, "start=");
  if (!stop) stop = param(req, end, "end=");
  for (i = 0; first && i < r->nfirst; i++) memcpy(r->response + r->first[i], first, 10);
  for (i = 0; stop && i < r->nstop; i++) memcpy(r->response + r->stop[i], stop, 10);
}

static int listen_on(int *port) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) { perror("bind"); exit(1); }
  getsockname(fd, (struct sockaddr *)&a, &alen);
  *port = ntohs(a.sin_port);
  return fd;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Answers every complete request in c->req; -1 closes the connection. */
static int serve(conn *c) {
  static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  char *end;
  while ((end = strstr(c->req, "\r\n\r\n")) != NULL) {
    size_t used = (size_t)(end + 4 - c->req);
    route *r = NULL;
    int i, close_after = strstr(c->req, "Connection: close") != NULL &&
                         strstr(c->req, "Connection: close") < end;
    if (strncmp(c->req, "GET ", 4) != 0) return -1;
    for (i = 0; i < 2; i++)
      if (strncmp(c->req + 4, routes[i].prefix, strlen(routes[i].prefix)) == 0) r = &routes[i];
    requests++;
    if (r) set_dates(r, c->req, end);
    if (r ? write_all(c->fd, r->response, r->len) : write_all(c->fd, not_found, sizeof not_found - 1))
      return -1;
    memmove(c->req, c->req + used, c->len - used + 1);
    c->len -= used;
    if (close_after) return -1;
  }
  return c->len + 1 >= REQ_MAX ? -1 : 0;
}

int main(int argc, char **argv) {
  struct pollfd p[MAX_CONN + 2];
  static conn conns[MAX_CONN];
  int port, ctrl_port, srv, ctrl, i, one = 1;
  if (argc != 3) { fprintf(stderr, "usage: server legacy.json v2026.json\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  make_route(&routes[0], "/api/daily_consumption?", argv[1]);
  make_route(&routes[1], "/api/consommation_quotidienne?", argv[2]);
  srv = listen_on(&port);
  ctrl = listen_on(&ctrl_port);
  printf("%d %d %ld\n", port, ctrl_port, (long)getpid());
  fflush(stdout);
  for (i = 0; i < MAX_CONN; i++) conns[i].fd = -1;
  for (;;) {
    int n = 0;
    p[n].fd = srv; p[n++].events = POLLIN;
    p[n].fd = ctrl; p[n++].events = POLLIN;
    for (i = 0; i < MAX_CONN; i++) { p[n].fd = conns[i].fd; p[n++].events = POLLIN; }
    if (poll(p, (nfds_t)n, -1) < 0) { if (errno == EINTR) continue; perror("poll"); return 1; }
    if (p[1].revents & POLLIN) {
      int fd = accept(ctrl, NULL, NULL);
      if (fd >= 0) {
        char line[64];
        int len = snprintf(line, sizeof line, "%ld %ld\n", requests, connections);
        requests = connections = 0;
        if (write_all(fd, line, (size_t)len) != 0) perror("control");
        close(fd);
      }
    }
    if (p[0].revents & POLLIN) {
      int fd = accept(srv, NULL, NULL);
      if (fd >= 0) {
        for (i = 0; i < MAX_CONN && conns[i].fd >= 0; i++) {}
        if (i == MAX_CONN) { close(fd); continue; }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[i].fd = fd;
        conns[i].len = 0;
        conns[i].req[0] = '\0';
        connections++;
      }
    }
    for (i = 0; i < MAX_CONN; i++) {
      conn *c = &conns[i];
      ssize_t r;
      if (c->fd < 0 || !(p[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      r = read(c->fd, c->req + c->len, REQ_MAX - 1 - c->len);
      if (r > 0) {
        c->len += (size_t)r;
        c->req[c->len] = '\0';
        if (serve(c) == 0) continue;
      }
      close(c->fd);
      c->fd = -1;
    }
  }
}
