/* parsweep — elastic: message framing, CURVE keys, the endpoint file and
 * the address to listen on. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "elastic/elastic.h"

int psw__emsg_send(void *sock, const void *rid, size_t rid_len,
                   const struct psw_emsg *hdr, const void *payload,
                   size_t len) {
  if (rid && zmq_send(sock, rid, rid_len, ZMQ_SNDMORE) < 0)
    return PSW_ERR_SYS;
  if (zmq_send(sock, hdr, sizeof *hdr, len ? ZMQ_SNDMORE : 0) < 0)
    return PSW_ERR_SYS;
  if (len && zmq_send(sock, payload, len, 0) < 0)
    return PSW_ERR_SYS;
  return 0;
}

/* Drop the rest of a multipart message. */
static void drain_more(void *sock) {
  int more = 1;
  size_t sz = sizeof more;
  while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, sock, 0);
    zmq_msg_close(&m);
  }
}

static int has_more(void *sock) {
  int more = 0;
  size_t sz = sizeof more;
  return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more;
}

int psw__emsg_recv(void *sock, void *rid, size_t *rid_len, struct psw_emsg *hdr,
                   void *payload_msg, int timeout_ms) {
  zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
  int n = zmq_poll(&it, 1, timeout_ms);
  if (n < 0)
    return errno == EINTR ? PSW_ERR_TIMEOUT : PSW_ERR_SYS;
  if (n == 0)
    return PSW_ERR_TIMEOUT;
  if (rid) {
    int r = zmq_recv(sock, rid, *rid_len, ZMQ_DONTWAIT);
    if (r < 0)
      return errno == EAGAIN ? PSW_ERR_TIMEOUT : PSW_ERR_SYS;
    if ((size_t)r > *rid_len || !has_more(sock)) {
      drain_more(sock);
      return PSW_ERR_PARSE;
    }
    *rid_len = (size_t)r;
  }
  zmq_msg_t m;
  zmq_msg_init(&m);
  if (zmq_msg_recv(&m, sock, rid ? 0 : ZMQ_DONTWAIT) < 0) {
    zmq_msg_close(&m);
    return errno == EAGAIN ? PSW_ERR_TIMEOUT : PSW_ERR_SYS;
  }
  int ok = zmq_msg_size(&m) == sizeof *hdr;
  if (ok)
    memcpy(hdr, zmq_msg_data(&m), sizeof *hdr);
  zmq_msg_close(&m);
  if (ok && has_more(sock)) {
    if (zmq_msg_recv(payload_msg, sock, 0) < 0)
      return PSW_ERR_SYS;
  }
  if (has_more(sock)) {
    drain_more(sock);
    ok = 0;
  }
  return ok ? 0 : PSW_ERR_PARSE;
}

int psw__eendpoint_keys(psw_eendpoint_t *ep) {
  if (zmq_curve_keypair(ep->server_public, ep->server_secret) ||
      zmq_curve_keypair(ep->client_public, ep->client_secret))
    return PSW_ERR_UNAVAILABLE; /* libzmq without CURVE */
  return 0;
}

/* Write text to path via a new temporary and a rename (see
 * psw__eendpoint_write). */
static int write_private(const char *path, const char *text, char *err,
                         size_t errlen) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >=
      (int)sizeof tmp) {
    snprintf(err, errlen, "%s: path too long", path);
    return PSW_ERR_INVAL;
  }
  /* A new file, never an existing one nor a link: in a directory others
   * may write, a name created in advance (a file another user owns and
   * reads, or a link to a file elsewhere) must not receive the keys. */
  int fd =
      open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "cannot create %s: %s%s", tmp, strerror(e),
             e == EEXIST ? " (something else made that name: remove it, "
                           "and keep the output's directory writable by "
                           "you only)"
                         : "");
    return PSW_ERR_IO;
  }
  FILE *f = fdopen(fd, "w");
  if (!f) {
    snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return PSW_ERR_IO;
  }
  /* Owner-only whatever the umask: the file holds the client secret. */
  fchmod(fd, 0600);
  fputs(text, f);
  int bad = fflush(f) != 0 || fsync(fd) != 0;
  bad |= fclose(f) != 0;
  /* rename replaces whatever PATH is (a link too: it is not followed). */
  if (bad || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", bad ? tmp : path,
             strerror(errno));
    unlink(tmp);
    return PSW_ERR_IO;
  }
  return 0;
}

int psw__eendpoint_write(const char *path, const psw_eendpoint_t *ep, char *err,
                         size_t errlen) {
  char text[1024];
  snprintf(text, sizeof text,
           "# parsweep elastic endpoint: whoever can read this file can join "
           "the sweep\n"
           "address: %s\nserver_public: %s\nclient_public: %s\n"
           "client_secret: %s\n",
           ep->address, ep->server_public, ep->client_public,
           ep->client_secret);
  return write_private(path, text, err, errlen);
}

int psw__eendpoint_end(const char *path, char *err, size_t errlen) {
  return write_private(
      path,
      "# parsweep elastic endpoint: the sweep has ended\n" PSW_ENDPOINT_ENDED
      "\n",
      err, errlen);
}

static int key_ok(const char *k) {
  return strlen(k) == 40;
}

int psw__eendpoint_read(const char *path, psw_eendpoint_t *ep, char *err,
                        size_t errlen) {
  memset(ep, 0, sizeof *ep);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return PSW_ERR_IO;
  }
  char line[512];
  int ln = 0, rc = 0;
  while (!rc && fgets(line, sizeof line, f)) {
    ln++;
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0] || line[0] == '#')
      continue;
    char *colon = strstr(line, ": ");
    if (!colon) {
      snprintf(err, errlen, "%s:%d: expected 'key: value'", path, ln);
      rc = PSW_ERR_PARSE;
      break;
    }
    *colon = '\0';
    const char *v = colon + 2;
    if (!strcmp(line, "ended")) {
      snprintf(err, errlen, "the sweep of %s has ended", path);
      rc = PSW_ERR_UNAVAILABLE;
      break;
    }
    char *dst = NULL;
    size_t cap = 41;
    if (!strcmp(line, "address")) {
      dst = ep->address;
      cap = sizeof ep->address;
    } else if (!strcmp(line, "server_public")) {
      dst = ep->server_public;
    } else if (!strcmp(line, "client_public")) {
      dst = ep->client_public;
    } else if (!strcmp(line, "client_secret")) {
      dst = ep->client_secret;
    } else {
      continue; /* keys of later versions */
    }
    if (strlen(v) >= cap || (dst != ep->address && strlen(v) != 40)) {
      snprintf(err, errlen, "%s:%d: %s: malformed value", path, ln, line);
      rc = PSW_ERR_PARSE;
      break;
    }
    strcpy(dst, v);
  }
  fclose(f);
  if (!rc) {
    const char *missing = !ep->address[0]              ? "address"
                          : !key_ok(ep->server_public) ? "server_public"
                          : !key_ok(ep->client_public) ? "client_public"
                          : !key_ok(ep->client_secret) ? "client_secret"
                                                       : NULL;
    if (missing) {
      snprintf(err, errlen, "%s: %s: missing", path, missing);
      rc = PSW_ERR_PARSE;
    }
  }
  return rc;
}

/* This node's IPv4 address by its host name; 0 when it resolves. */
static int node_address(char *out, size_t outlen) {
  char host[256];
  if (gethostname(host, sizeof host) != 0)
    return -1;
  host[sizeof host - 1] = '\0';
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
    return -1;
  int rc = -1;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    const struct sockaddr_in *sin = (const void *)a->ai_addr;
    if (inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outlen)) {
      rc = 0;
      /* A loopback address only if nothing else resolves. */
      if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
        break;
    }
  }
  freeaddrinfo(res);
  return rc;
}

static int numeric(const char *host) {
  struct in_addr a4;
  struct in6_addr a6;
  return inet_pton(AF_INET, host, &a4) == 1 ||
         inet_pton(AF_INET6, host, &a6) == 1;
}

int psw__eaddress(const char *listen, char *out, size_t outlen) {
  char host[256] = "", port[16] = "*";
  if (listen && *listen) {
    const char *colon = strrchr(listen, ':');
    size_t hl = colon ? (size_t)(colon - listen) : strlen(listen);
    if (hl >= sizeof host)
      return PSW_ERR_INVAL;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (colon) {
      char *end;
      long p = strtol(colon + 1, &end, 10);
      if (*end || end == colon + 1 || p < 0 || p > 65535)
        return PSW_ERR_INVAL;
      if (p)
        snprintf(port, sizeof port, "%ld", p);
    }
  }
  if (!host[0]) {
    const char *job = getenv("SLURM_JOB_ID");
    if (!(job && *job && node_address(host, sizeof host) == 0))
      snprintf(host, sizeof host, "127.0.0.1");
  } else if (!numeric(host) && !if_nametoindex(host)) {
    /* ZeroMQ binds numeric addresses and interface names only. */
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
      return PSW_ERR_INVAL;
    const struct sockaddr_in *sin = (const void *)res->ai_addr;
    int ok = inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host) != NULL;
    freeaddrinfo(res);
    if (!ok)
      return PSW_ERR_INVAL;
  }
  if (snprintf(out, outlen, "tcp://%s:%s", host, port) >= (int)outlen)
    return PSW_ERR_INVAL;
  return 0;
}

void psw__ehost(char *out, size_t outlen) {
  const char *n = getenv("SLURMD_NODENAME");
  if (n && *n) {
    snprintf(out, outlen, "%s", n);
    return;
  }
  if (gethostname(out, outlen) != 0)
    snprintf(out, outlen, "localhost");
  out[outlen - 1] = '\0';
}

static double env_secs(const char *name, double dflt) {
  const char *v = getenv(name);
  if (v && *v) {
    char *end;
    double d = strtod(v, &end);
    if (!*end && d > 0)
      return d;
  }
  return dflt;
}

double psw__eheartbeat_s(void) {
  return env_secs("PSW_ELASTIC_HEARTBEAT", 0.5);
}

double psw__etimeout_s(void) {
  return env_secs("PSW_ELASTIC_TIMEOUT", 5.0);
}

int psw__ecurve_server(void *sock, const psw_eendpoint_t *ep) {
  int one = 1;
  if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
      zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, ep->server_secret, 41) ||
      zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "parsweep", 8))
    return PSW_ERR_SYS;
  return 0;
}

int psw__ecurve_client(void *sock, const psw_eendpoint_t *ep) {
  if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, ep->server_public, 41) ||
      zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, ep->client_public, 41) ||
      zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, ep->client_secret, 41))
    return PSW_ERR_SYS;
  return 0;
}
