/*
 * winnow-mirror: replay the remote services winnow crawls, on loopback, from a
 * data directory, with deterministic fault injection (see winnow-mirror(1)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/log.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

static const char help[] =
	"usage: winnow-mirror --data DIR [--port N] [--port-file FILE] [--bind ADDR]\n"
	"                     [--scenario NAME[,NAME...]] [--fault-rate R]\n"
	"                     [--fault-kinds KIND,...] [--seed S] [--latency-ms N]\n"
	"                     [--slow-ms N] [--retry-after N] [--max-consecutive-faults N]\n"
	"                     [--log FILE] [-d FILE] [-q] [-v]\n"
	"\n"
	"Serve E-utilities, the PMC cloud bucket, Europe PMC, Mastodon tag timelines\n"
	"and Bluesky search from DIR on a loopback address, until SIGTERM or SIGINT.\n"
	"\n"
	"  -D, --data DIR           corpus to serve (e.g. tests/data/sample)\n"
	"  -p, --port N             port to listen on; 0 picks a free one (default 8089)\n"
	"  -P, --port-file FILE     write the port there once listening\n"
	"  -b, --bind ADDR          loopback address to bind (default 127.0.0.1)\n"
	"  -s, --scenario NAMES     overlay DIR/scenarios/NAME (comma-separated)\n"
	"  -f, --fault-rate R       share of requests answered with a fault (0..1)\n"
	"  -k, --fault-kinds LIST   429,500,503,slow,truncate,bad-md5,drop,garbage or all\n"
	"  -S, --seed S             fault seed (default 1)\n"
	"  -l, --latency-ms N       delay every reply by N ms\n"
	"      --slow-ms N          delay of a 'slow' fault (default 2000)\n"
	"      --retry-after N      Retry-After of 429 and 503 faults (default 1)\n"
	"      --max-consecutive-faults N\n"
	"                           faults in a row per URL at most (default 2)\n"
	"  -L, --log FILE           one line per request: method, URL, status, bytes, fault\n"
	"  -d, --db FILE            accepted for uniformity; the mirror uses no database\n"
	"  -q, --quiet              errors only\n"
	"  -v, --verbose            more messages (repeatable)\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show versions\n"
	"\n"
	"See winnow-mirror(1).\n";

enum {
	OPT_SLOW = 256,
	OPT_RETRY_AFTER,
	OPT_MAX_CONSEC,
};

struct conn_state {
	struct wn_buf upload;
	int started;
	int too_big;
};

struct trunc {
	char *body;		/* owned */
	size_t send;		/* bytes sent before the connection is cut */
};

static struct mirror *the_mirror;
static int listen_port;

static ssize_t
trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trunc *t = cls;
	size_t n;

	if (pos >= t->send)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->send - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static void
trunc_free(void *cls)
{
	struct trunc *t = cls;

	if (t) {
		free(t->body);
		free(t);
	}
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct mirror_req *r = cls;
	struct mirror_arg *v;

	if (key == NULL || r->nargs >= MIRROR_MAX_ARGS)
		return MHD_YES;
	v = realloc(r->args, (r->nargs + 1) * sizeof(*v));
	if (v == NULL)
		return MHD_NO;
	r->args = v;
	v[r->nargs].key = strdup(key);
	v[r->nargs].val = strdup(value ? value : "");
	if (v[r->nargs].key == NULL || v[r->nargs].val == NULL) {
		free(v[r->nargs].key);
		free(v[r->nargs].val);
		return MHD_NO;
	}
	r->nargs++;
	return MHD_YES;
}

/* Decode one x-www-form-urlencoded component in place. */
static void
form_decode(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '+') {
			*w++ = ' ';
		} else if (*p == '%' && wn_hexdigit(p[1]) >= 0 && wn_hexdigit(p[2]) >= 0) {
			*w++ = (char)(wn_hexdigit(p[1]) * 16 + wn_hexdigit(p[2]));
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* POST bodies (E-utilities, Europe PMC searchPOST) count as query arguments. */
static int
collect_form(struct mirror_req *r, struct wn_buf *body)
{
	char *save = NULL, *pair;

	if (body->len == 0)
		return 0;
	for (pair = strtok_r(body->data, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');

		if (eq)
			*eq++ = '\0';
		form_decode(pair);
		if (eq)
			form_decode(eq);
		if (collect_arg(r, MHD_POSTDATA_KIND, pair, eq ? eq : "") != MHD_YES)
			return -ENOMEM;
	}
	return 0;
}

static int
fault_reply(const struct mirror_opts *o, enum mirror_fault_kind k, const struct mirror_req *r,
	    struct mirror_reply *rep)
{
	int eutils = strncmp(r->path, "/entrez/", 8) == 0;
	int masto = strncmp(r->path, "/api/v1/", 8) == 0;
	int bsky = strncmp(r->path, "/xrpc/", 6) == 0;
	int epmc = strncmp(r->path, "/europepmc/", 11) == 0;
	int s3 = !eutils && !masto && !bsky && !epmc && strncmp(r->path, "/media/", 7) != 0;
	char ra[16];
	int rc;

	snprintf(ra, sizeof(ra), "%d", o->retry_after);
	if (k == MIRROR_F_429) {
		if (eutils)
			rc = mirror_reply_text(rep, 429, "application/json",
				"{\"error\":\"API rate limit exceeded\",\"api-key\":\"127.0.0.1\","
				"\"count\":\"4\",\"limit\":\"3\"}");
		else if (masto)
			rc = mirror_reply_text(rep, 429, "application/json",
					       "{\"error\":\"Too many requests\"}");
		else if (bsky)
			rc = mirror_reply_text(rep, 429, "application/json",
				"{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}");
		else if (s3)
			rc = mirror_reply_text(rep, 429, "application/xml",
				"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown"
				"</Code><Message>Please reduce your request rate.</Message>"
				"<RequestId>4442587FB7D0A2F9</RequestId><HostId>mirror</HostId></Error>");
		else
			rc = mirror_reply_text(rep, 429, "text/plain", "Too Many Requests\n");
		if (rc < 0)
			return rc;
		if (mirror_reply_header(rep, "Retry-After", ra) < 0)
			return -ENOMEM;
		if (eutils && (mirror_reply_header(rep, "X-RateLimit-Limit", "3") < 0 ||
			       mirror_reply_header(rep, "X-RateLimit-Remaining", "0") < 0))
			return -ENOMEM;
		if (masto) {
			char reset[32];

			mirror_iso_date(time(NULL) + o->retry_after, reset);
			if (mirror_reply_header(rep, "X-RateLimit-Limit", "300") < 0 ||
			    mirror_reply_header(rep, "X-RateLimit-Remaining", "0") < 0 ||
			    mirror_reply_header(rep, "X-RateLimit-Reset", reset) < 0)
				return -ENOMEM;
		}
		if (bsky) {
			char reset[24];

			snprintf(reset, sizeof(reset), "%lld",
				 (long long)time(NULL) + o->retry_after);
			if (mirror_reply_header(rep, "ratelimit-limit", "3000") < 0 ||
			    mirror_reply_header(rep, "ratelimit-remaining", "0") < 0 ||
			    mirror_reply_header(rep, "ratelimit-reset", reset) < 0 ||
			    mirror_reply_header(rep, "ratelimit-policy", "3000;w=300") < 0)
				return -ENOMEM;
		}
		return 1;
	}
	if (k == MIRROR_F_503) {
		if (s3)
			rc = mirror_reply_text(rep, 503, "application/xml",
				"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown"
				"</Code><Message>Please reduce your request rate.</Message>"
				"<RequestId>4442587FB7D0A2F9</RequestId><HostId>mirror</HostId></Error>");
		else if (epmc)
			rc = mirror_reply_text(rep, 503, "text/plain",
				"This API is temporarily unavailable due to maintenance.");
		else
			rc = mirror_reply_text(rep, 503, "text/html",
				"<html><head><title>503 Service Unavailable</title></head><body>"
				"<h1>Service Unavailable</h1></body></html>\n");
		if (rc < 0)
			return rc;
		return mirror_reply_header(rep, "Retry-After", ra) < 0 ? -ENOMEM : 1;
	}
	if (s3)
		return mirror_reply_text(rep, 500, "application/xml",
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError"
			"</Code><Message>We encountered an internal error. Please try again."
			"</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>mirror</HostId>"
			"</Error>");
	return mirror_reply_text(rep, 500, "text/html",
		"<html><head><title>500 Internal Server Error</title></head><body>"
		"<h1>Internal Server Error</h1></body></html>\n");
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Control: GET /_mirror/scenario?name=A,B (empty name = base), /_mirror/stats. */
static int
control(struct mirror *m, const struct mirror_req *r, struct mirror_reply *rep)
{
	if (strcmp(r->path, "/_mirror/scenario") == 0) {
		const char *name = mirror_arg(r, "name");
		struct mirror_corpus *c = NULL;
		int rc;

		rc = mirror_corpus_load(m->o->data, name, &c);
		if (rc < 0)
			return mirror_reply_text(rep, 404, "text/plain", "no such scenario\n");
		pthread_mutex_lock(&m->lock);
		c->next = m->all;
		m->all = c;
		m->corpus = c;
		pthread_mutex_unlock(&m->lock);
		wn_info("scenario now '%s'", c->name);
		return mirror_reply_text(rep, 200, "text/plain", "ok\n");
	}
	if (strcmp(r->path, "/_mirror/stats") == 0) {
		char buf[128];

		pthread_mutex_lock(&m->lock);
		snprintf(buf, sizeof(buf), "{\"requests\":%llu,\"faults\":%llu}\n",
			 (unsigned long long)m->nrequests, (unsigned long long)m->nfaults);
		pthread_mutex_unlock(&m->lock);
		return mirror_reply_text(rep, 200, "application/json", buf);
	}
	return mirror_reply_text(rep, 404, "text/plain", "Not Found\n");
}

static int
route(struct mirror *m, const struct mirror_corpus *c, const struct mirror_req *r,
      struct mirror_reply *rep)
{
	int rc;

	rc = mirror_recorded(c, r, rep);
	if (rc == 0) {
		rc = mirror_eutils(m, c, r, rep);
		/* NCBI announces its limit on every reply */
		if (rc > 0 && (mirror_reply_header(rep, "X-RateLimit-Limit", "3") < 0 ||
			       mirror_reply_header(rep, "X-RateLimit-Remaining", "2") < 0))
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = mirror_social(c, r, rep);
	if (rc == 0)
		rc = mirror_oa(c, r, rep);
	if (rc == 0)
		rc = mirror_s3(c, r, rep);
	return rc;
}

static void
log_request(struct mirror *m, const struct mirror_req *r, int status, size_t len,
	    enum mirror_fault_kind k)
{
	pthread_mutex_lock(&m->lock);
	m->nrequests++;
	if (k != MIRROR_F_NONE)
		m->nfaults++;
	if (m->log) {
		fprintf(m->log, "%s %s%s%s %d %zu %s\n", r->method, r->path, *r->norm ? "?" : "",
			r->norm, status, len, mirror_fault_name(k));
		fflush(m->log);
	}
	pthread_mutex_unlock(&m->lock);
	wn_debug("%s %s%s%s -> %d %s", r->method, r->path, *r->norm ? "?" : "", r->norm,
		 status, mirror_fault_name(k));
}

static enum MHD_Result
queue(struct MHD_Connection *conn, struct mirror_reply *rep, enum mirror_fault_kind k)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (k == MIRROR_F_TRUNCATE) {
		struct trunc *t = calloc(1, sizeof(*t));

		if (t == NULL)
			return MHD_NO;
		t->body = rep->body;
		t->send = rep->len / 2;
		rep->body = NULL;
		resp = MHD_create_response_from_callback(rep->len, 16384, trunc_reader, t,
							 trunc_free);
		if (resp == NULL) {
			trunc_free(t);
			return MHD_NO;
		}
	} else {
		resp = MHD_create_response_from_buffer(rep->len, rep->body ? rep->body : (char *)"",
						       rep->body ? MHD_RESPMEM_MUST_FREE
								 : MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		rep->body = NULL;
	}
	if (rep->ctype && rep->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->ctype);
	for (size_t i = 0; i < rep->nhdrs; i++)
		MHD_add_response_header(resp, rep->hdrs[i].name, rep->hdrs[i].val);
	ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct mirror *m = cls;
	struct conn_state *st = *con_cls;
	struct mirror_req r = { 0 };
	struct mirror_reply rep = { 0 };
	const struct mirror_corpus *c;
	enum mirror_fault_kind k = MIRROR_F_NONE;
	struct wn_buf base;
	const char *host;
	enum MHD_Result ret = MHD_NO;
	int rc;

	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return MHD_NO;
		wn_buf_init(&st->upload, MIRROR_MAX_UPLOAD);
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size) {
		if (wn_buf_add(&st->upload, upload_data, *upload_size) < 0)
			st->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	wn_buf_init(&base, 0);
	r.method = method;
	r.path = url;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &r);
	if (strcmp(method, "POST") == 0 && collect_form(&r, &st->upload) < 0)
		goto out;
	r.if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);
	host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (host && strlen(host) < 256 && !strpbrk(host, "/\"<> \t"))
		rc = wn_buf_printf(&base, "http://%s", host);
	else
		rc = wn_buf_printf(&base, "http://%s:%d", m->o->bind, listen_port);
	if (rc < 0 || mirror_req_normalise(&r) < 0)
		goto out;
	r.base = base.data;

	if (st->too_big) {
		rc = mirror_reply_text(&rep, 413, "text/plain", "Request Entity Too Large\n");
	} else if (strncmp(url, "/_mirror/", 9) == 0) {
		rc = control(m, &r, &rep);
	} else {
		pthread_mutex_lock(&m->lock);
		c = m->corpus;
		pthread_mutex_unlock(&m->lock);
		k = mirror_fault_decide(m, c, &r);
		if (m->o->latency_ms > 0)
			sleep_ms(m->o->latency_ms);
		if (k == MIRROR_F_DROP) {
			log_request(m, &r, 0, 0, k);
			goto out;	/* MHD_NO: the connection is closed unanswered */
		}
		if (k == MIRROR_F_429 || k == MIRROR_F_500 || k == MIRROR_F_503) {
			rc = fault_reply(m->o, k, &r, &rep);
		} else {
			rc = route(m, c, &r, &rep);
			if (k == MIRROR_F_SLOW)
				sleep_ms(m->o->slow_ms);
			if (rc > 0 && (k == MIRROR_F_TRUNCATE || k == MIRROR_F_BADMD5 ||
				       k == MIRROR_F_GARBAGE) && (rep.status != 200 || rep.len < 2)) {
				/* nothing to damage: fail loudly instead */
				mirror_reply_release(&rep);
				rc = fault_reply(m->o, MIRROR_F_500, &r, &rep);
			} else if (rc > 0 && k == MIRROR_F_BADMD5) {
				/* same length, different bytes: only a checksum tells */
				for (size_t i = rep.len / 2; i < rep.len && i < rep.len / 2 + 16; i++)
					rep.body[i] ^= 0x5a;
			} else if (rc > 0 && k == MIRROR_F_GARBAGE) {
				uint64_t x = m->o->seed;

				for (size_t i = 0; i < rep.len; i++) {
					x = mirror_mix64(x + i);
					rep.body[i] = (char)(x & 0xff);
				}
			}
		}
	}
	if (rc < 0) {
		wn_warn("%s %s: %s", method, url, wn_strerror(rc));
		mirror_reply_release(&rep);
		if (mirror_reply_text(&rep, 500, "text/plain", "Internal Server Error\n") < 0)
			goto out;
	}
	log_request(m, &r, rep.status, rep.len, k);
	ret = queue(conn, &rep, k);
out:
	mirror_reply_release(&rep);
	mirror_req_release(&r);
	wn_buf_release(&base);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;

	if (st) {
		wn_buf_release(&st->upload);
		free(st);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (wn_log_enabled(WN_LOG_DEBUG))
		wn_vlog(WN_LOG_DEBUG, fmt, ap);
}

static int
is_loopback(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strcmp(addr, "localhost") == 0)
		addr = "127.0.0.1";
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		*len = sizeof(*a4);
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		*len = sizeof(*a6);
		return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	}
	return 0;
}

static int
write_port_file(const char *path, int port)
{
	struct wn_buf tmp;
	FILE *f;
	int rc = 0;

	wn_buf_init(&tmp, 0);
	if (wn_buf_printf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp.data, "w");
	if (f == NULL) {
		rc = -errno;
		goto out;
	}
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp.data, path) < 0)
		rc = -errno;
out:
	if (rc < 0)
		unlink(tmp.data);
	wn_buf_release(&tmp);
	return rc;
}

static int
run(const struct mirror_opts *o)
{
	struct mirror m = { .o = o };
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct MHD_Daemon *d = NULL;
	struct mirror_corpus *c = NULL;
	sigset_t set;
	int fd = -1, one = 1, sig, rc, status = EX_OK;

	pthread_mutex_init(&m.lock, NULL);
	rc = mirror_corpus_load(o->data, o->scenario, &c);
	if (rc < 0) {
		wn_error("cannot load '%s': %s", o->data, wn_strerror(rc));
		status = rc == -ENOENT || rc == -ENOTDIR ? EX_NOINPUT : wn_exit_status(rc);
		goto out;
	}
	m.corpus = m.all = c;
	wn_info("serving %zu objects, %zu recorded replies, %zu searches from '%s'%s%s",
		c->nobjs, c->nrecs, c->nsearches, o->data, *c->name ? " with scenario " : "",
		c->name);
	if (o->log_path) {
		m.log = fopen(o->log_path, "a");
		if (m.log == NULL) {
			wn_error("cannot open '%s': %s", o->log_path, strerror(errno));
			status = EX_CANTCREAT;
			goto out;
		}
	}
	if (!is_loopback(o->bind, &ss, &sslen)) {
		wn_error("'%s' is not a loopback address", o->bind);
		status = EX_USAGE;
		goto out;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		wn_error("socket: %s", strerror(errno));
		status = EX_OSERR;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)o->port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)o->port);
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 256) < 0) {
		wn_error("cannot listen on %s port %d: %s", o->bind, o->port, strerror(errno));
		status = EX_UNAVAILABLE;
		goto out;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		wn_error("getsockname: %s", strerror(errno));
		status = EX_OSERR;
		goto out;
	}
	listen_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	/* threads started from here on inherit the blocked signals */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	the_mirror = &m;
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, &m,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 1000u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_END);
	if (d == NULL) {
		wn_error("cannot start the HTTP server");
		status = EX_OSERR;
		goto out;
	}
	fd = -1;	/* the daemon owns it now */
	if (o->port_file) {
		rc = write_port_file(o->port_file, listen_port);
		if (rc < 0) {
			wn_error("cannot write '%s': %s", o->port_file, wn_strerror(rc));
			status = EX_CANTCREAT;
			goto out;
		}
	}
	wn_info("listening on http://%s:%d", o->bind, listen_port);
	if (sigwait(&set, &sig) != 0)
		sig = SIGTERM;
	wn_info("done: %llu requests, %llu faults injected (signal %d)",
		(unsigned long long)m.nrequests, (unsigned long long)m.nfaults, sig);
out:
	if (d)
		MHD_stop_daemon(d);
	if (fd >= 0)
		close(fd);
	if (m.log)
		fclose(m.log);
	while (m.all) {
		struct mirror_corpus *next = m.all->next;

		mirror_corpus_free(m.all);
		m.all = next;
	}
	for (size_t i = 0; i < MIRROR_MAX_HIST; i++) {
		for (size_t j = 0; j < m.hist[i].nids; j++)
			free(m.hist[i].ids[j]);
		free(m.hist[i].ids);
	}
	free(m.att);
	pthread_mutex_destroy(&m.lock);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "data",        required_argument, NULL, 'D' },
		{ "port",        required_argument, NULL, 'p' },
		{ "port-file",   required_argument, NULL, 'P' },
		{ "bind",        required_argument, NULL, 'b' },
		{ "scenario",    required_argument, NULL, 's' },
		{ "fault-rate",  required_argument, NULL, 'f' },
		{ "fault-kinds", required_argument, NULL, 'k' },
		{ "seed",        required_argument, NULL, 'S' },
		{ "latency-ms",  required_argument, NULL, 'l' },
		{ "slow-ms",     required_argument, NULL, OPT_SLOW },
		{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
		{ "max-consecutive-faults", required_argument, NULL, OPT_MAX_CONSEC },
		{ "log",         required_argument, NULL, 'L' },
		{ "db",          required_argument, NULL, 'd' },
		{ "quiet",       no_argument,       NULL, 'q' },
		{ "verbose",     no_argument,       NULL, 'v' },
		{ "help",        no_argument,       NULL, 'h' },
		{ "version",     no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct mirror_opts o = {
		.bind = "127.0.0.1", .port = 8089, .seed = 1, .slow_ms = 2000,
		.retry_after = 1, .max_consecutive = 2,
		.kinds = ((1u << MIRROR_F_COUNT) - 1) & ~1u,
	};
	int c, verbosity = 1;
	int64_t v;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-mirror", verbosity);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":D:p:P:b:s:f:k:S:l:L:d:qvhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'D': o.data = optarg; break;
		case 'P': o.port_file = optarg; break;
		case 'b': o.bind = optarg; break;
		case 's': o.scenario = optarg; break;
		case 'L': o.log_path = optarg; break;
		case 'd': break;
		case 'q': verbosity = 0; break;
		case 'v': verbosity++; break;
		case 'h': return wn_finish_stdout(wn_print_help(help));
		case 'V':
			wn_print_version();
			printf("libmicrohttpd %s\n", MHD_get_version());
			return wn_finish_stdout(EX_OK);
		case 'p':
			if (wn_parse_int(optarg, 0, 65535, &o.port) < 0)
				return wn_usage_error("invalid --port '%s'", optarg);
			break;
		case 'f':
			if (wn_parse_double(optarg, 0.0, 1.0, &o.fault_rate) < 0)
				return wn_usage_error("invalid --fault-rate '%s' (0..1)", optarg);
			break;
		case 'k':
			if (mirror_parse_kinds(optarg, &o.kinds) < 0)
				return wn_usage_error("invalid --fault-kinds '%s'", optarg);
			break;
		case 'S':
			if (wn_parse_i64(optarg, 0, INT64_MAX, &v) < 0)
				return wn_usage_error("invalid --seed '%s'", optarg);
			o.seed = (uint64_t)v;
			break;
		case 'l':
			if (wn_parse_int(optarg, 0, 600000, &o.latency_ms) < 0)
				return wn_usage_error("invalid --latency-ms '%s'", optarg);
			break;
		case OPT_SLOW:
			if (wn_parse_int(optarg, 0, 600000, &o.slow_ms) < 0)
				return wn_usage_error("invalid --slow-ms '%s'", optarg);
			break;
		case OPT_RETRY_AFTER:
			if (wn_parse_int(optarg, 0, 86400, &o.retry_after) < 0)
				return wn_usage_error("invalid --retry-after '%s'", optarg);
			break;
		case OPT_MAX_CONSEC:
			if (wn_parse_int(optarg, 0, 1000, &o.max_consecutive) < 0)
				return wn_usage_error("invalid --max-consecutive-faults '%s'", optarg);
			break;
		case ':':
			return wn_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return wn_usage_error("invalid option -- '%c'", optopt);
			return wn_usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return wn_usage_error("unexpected argument '%s'", argv[optind]);
	if (o.data == NULL)
		o.data = getenv("WINNOW_MIRROR_DATA");
	if (o.data == NULL)
		return wn_usage_error("--data DIR is required");
	wn_log_init("winnow-mirror", verbosity);
	return wn_finish_stdout(run(&o));
}
