/*
 * test-http.c: the HTTP engine against a small loopback server run in this
 * process (plain sockets, one thread per connection), and the fetches ledger on a fresh database.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "lib/db.h"
#include "lib/http.h"
#include "lib/log.h"

static int port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int hits_rl, hits_flaky, hits_500, hits_drop, inflight, max_inflight, hits_pool;
static double pool_times[16];
static char last_api_key[64];

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct answer {
	int status;
	const char *body;
	const char *hname, *hval;
	int drop;
};

static void
reply(struct answer *a, int status, const char *body, const char *hname,
      const char *hval)
{
	a->status = status;
	a->body = body;
	a->hname = hname;
	a->hval = hval;
}

static void
handle(const char *url, const char *inm, struct answer *a)
{
	const char *key = strstr(url, "api_key=");

	if (key != NULL) {
		pthread_mutex_lock(&mu);
		snprintf(last_api_key, sizeof(last_api_key), "%.*s",
			 (int)strcspn(key + 8, "& "), key + 8);
		pthread_mutex_unlock(&mu);
	}
	if (strncmp(url, "/ok", 3) == 0) {
		reply(a, 200, "hello", NULL, NULL);
	} else if (strcmp(url, "/etag") == 0) {
		if (inm != NULL && strcmp(inm, "\"abc\"") == 0)
			reply(a, 304, "", NULL, NULL);
		else
			reply(a, 200, "fresh", "Last-Modified",
			      "Sat, 28 Nov 2026 10:00:00 GMT");
	} else if (strcmp(url, "/flaky") == 0) {
		int n;

		pthread_mutex_lock(&mu);
		n = ++hits_flaky;
		pthread_mutex_unlock(&mu);
		if (n <= 2)
			reply(a, 429, "{\"error\":\"API rate limit exceeded\"}",
			      "Retry-After", "0");
		else
			reply(a, 200, "finally", NULL, NULL);
	} else if (strcmp(url, "/ratelimit") == 0) {
		int n;

		pthread_mutex_lock(&mu);
		n = ++hits_rl;
		pthread_mutex_unlock(&mu);
		if (n == 1)
			reply(a, 429, "{\"error\":\"API rate limit exceeded\"}",
			      "X-RateLimit-Reset", "0");
		else
			reply(a, 200, "ok", NULL, NULL);
	} else if (strcmp(url, "/longwait") == 0) {
		reply(a, 503, "SlowDown", "Retry-After", "9999");
	} else if (strcmp(url, "/500") == 0) {
		pthread_mutex_lock(&mu);
		hits_500++;
		pthread_mutex_unlock(&mu);
		reply(a, 500, "oops", NULL, NULL);
	} else if (strcmp(url, "/404") == 0) {
		reply(a, 404, "<Error><Code>NoSuchKey</Code></Error>", NULL, NULL);
	} else if (strcmp(url, "/big") == 0) {
		static char big[70000];

		memset(big, 'x', sizeof(big) - 1);
		reply(a, 200, big, NULL, NULL);
	} else if (strcmp(url, "/tofile") == 0) {
		reply(a, 302, "", "Location", "file:///etc/passwd");
	} else if (strcmp(url, "/redir") == 0) {
		reply(a, 301, "", "Location", "/ok");
	} else if (strcmp(url, "/drop") == 0) {
		int n;

		pthread_mutex_lock(&mu);
		n = ++hits_drop;
		pthread_mutex_unlock(&mu);
		if (n == 1)
			a->drop = 1;	/* close the connection without an answer */
		else
			reply(a, 200, "after drop", NULL, NULL);
	} else if (strncmp(url, "/pool", 5) == 0) {
		int n;

		pthread_mutex_lock(&mu);
		n = hits_pool++;
		if (n < 16)
			pool_times[n] = mono();
		if (++inflight > max_inflight)
			max_inflight = inflight;
		pthread_mutex_unlock(&mu);
		usleep(30000);
		pthread_mutex_lock(&mu);
		inflight--;
		pthread_mutex_unlock(&mu);
		reply(a, 200, "p", NULL, NULL);
	} else {
		reply(a, 404, "no", NULL, NULL);
	}
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* One connection: HTTP/1.1 requests until the client closes. */
static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8192];
	size_t len = 0;

	for (;;) {
		char *end, *inm = NULL, *sp, *url, head[512];
		struct answer a = { 0 };
		ssize_t n;
		size_t used;

		while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
			if (len == sizeof(buf) - 1)
				goto out;
			n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
			if (n <= 0)
				goto out;
			len += (size_t)n;
		}
		*end = '\0';
		used = (size_t)(end - buf) + 4;
		url = strchr(buf, ' ');
		if (url == NULL)
			goto out;
		url++;
		sp = strchr(url, ' ');
		if (sp == NULL)
			goto out;
		*sp = '\0';
		inm = strcasestr(sp + 1, "\r\nIf-None-Match: ");
		if (inm != NULL) {
			inm += strlen("\r\nIf-None-Match: ");
			inm[strcspn(inm, "\r")] = '\0';
		}
		handle(url, inm, &a);
		if (a.drop)
			goto out;
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			 "ETag: \"abc\"\r\n%s%s%s", a.status, strlen(a.body),
			 a.hname ? a.hname : "", a.hname ? ": " : "", a.hval ? a.hval : "");
		if (a.hname != NULL)
			snprintf(head + strlen(head), sizeof(head) - strlen(head), "\r\n");
		snprintf(head + strlen(head), sizeof(head) - strlen(head), "\r\n");
		send_all(fd, head, strlen(head));
		send_all(fd, a.body, strlen(a.body));
		memmove(buf, buf + used, len - used);
		len -= used;
	}
out:
	close(fd);
	return NULL;
}

static int listen_fd = -1;

static void *
accept_main(void *arg)
{
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			return NULL;
		if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
}

static int
server_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	pthread_t t;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 64) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	if (pthread_create(&t, NULL, accept_main, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

static struct wn_http *
engine(int attempts, size_t max_body)
{
	struct wn_http_opts o = { .max_attempts = attempts, .backoff_s = 0.01,
				  .backoff_max_s = 0.05, .max_body = max_body,
				  .connect_timeout_ms = 5000, .timeout_ms = 20000 };
	struct wn_http *h = NULL;

	CU_ASSERT_FATAL(wn_http_new(&o, &h) == 0);
	return h;
}

static struct wn_http_req *
fetch1(struct wn_http *h, const char *path, const char *inm)
{
	char url[256];
	struct wn_http_req *r, *got = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	r = wn_http_req_new(url, 0, 7, NULL);
	CU_ASSERT_FATAL(r != NULL);
	if (inm != NULL)
		r->if_none_match = strdup(inm);
	wn_http_add(h, r);
	CU_ASSERT_FATAL(wn_http_next(h, &got) == 1);
	CU_ASSERT(got == r);
	CU_ASSERT(got->kind == 7);
	return got;
}

static void
test_basic(void)
{
	struct wn_http *h = engine(3, 0);
	struct wn_http_req *r, *none = NULL;

	r = fetch1(h, "/ok", NULL);
	CU_ASSERT(r->err == 0 && r->status == 200);
	CU_ASSERT(r->body.len == 5 && memcmp(r->body.data, "hello", 5) == 0);
	CU_ASSERT(r->etag != NULL && strcmp(r->etag, "\"abc\"") == 0);
	CU_ASSERT(r->attempts == 1);
	wn_http_req_free(r);

	r = fetch1(h, "/redir", NULL);
	CU_ASSERT(r->err == 0 && r->status == 200 && r->body.len == 5);
	wn_http_req_free(r);

	r = fetch1(h, "/404", NULL);
	CU_ASSERT(r->err == 0 && r->status == 404 && r->attempts == 1);	/* final */
	wn_http_req_free(r);

	CU_ASSERT(wn_http_next(h, &none) == 0);
	wn_http_free(h);
}

static void
test_conditional(void)
{
	struct wn_http *h = engine(3, 0);
	struct wn_http_req *r;

	r = fetch1(h, "/etag", NULL);
	CU_ASSERT(r->status == 200);
	CU_ASSERT(r->last_modified != NULL &&
		  strcmp(r->last_modified, "Sat, 28 Nov 2026 10:00:00 GMT") == 0);
	wn_http_req_free(r);
	r = fetch1(h, "/etag", "\"abc\"");
	CU_ASSERT(r->err == 0 && r->status == 304 && r->body.len == 0);
	wn_http_req_free(r);
	wn_http_free(h);
}

static void
test_retries(void)
{
	struct wn_http *h = engine(4, 0);
	struct wn_http_req *r;

	hits_flaky = hits_500 = hits_drop = 0;
	r = fetch1(h, "/flaky", NULL);
	CU_ASSERT(r->err == 0 && r->status == 200);
	CU_ASSERT(r->attempts == 3);
	CU_ASSERT(hits_flaky == 3);
	CU_ASSERT(r->body.len == 7 && memcmp(r->body.data, "finally", 7) == 0);
	wn_http_req_free(r);

	r = fetch1(h, "/500", NULL);
	CU_ASSERT(r->err == -WN_EHTTP && r->status == 500);
	CU_ASSERT(r->attempts == 4 && hits_500 == 4);
	CU_ASSERT(strstr(r->errmsg, "HTTP 500 after 4 attempts") != NULL);
	wn_http_req_free(r);

	r = fetch1(h, "/ratelimit", NULL);
	CU_ASSERT(r->err == 0 && r->status == 200 && r->attempts == 2 && hits_rl == 2);
	wn_http_req_free(r);

	/* a Retry-After beyond what we accept to wait: given up at once */
	r = fetch1(h, "/longwait", NULL);
	CU_ASSERT(r->err == -WN_EHTTP && r->status == 503 && r->attempts == 1);
	CU_ASSERT(strstr(r->errmsg, "retry after 9999 s") != NULL);
	wn_http_req_free(r);

	/* a fresh engine, so that the dropped connection is a new one (curl itself
	   retries once on a reused connection that was closed) */
	wn_http_free(h);
	h = engine(4, 0);
	r = fetch1(h, "/drop", NULL);
	CU_ASSERT(r->err == 0 && r->status == 200 && r->attempts == 2);
	CU_ASSERT(hits_drop == 2);
	wn_http_req_free(r);

	/* caller-driven retry of an unusable answer */
	r = fetch1(h, "/ok", NULL);
	CU_ASSERT(wn_http_retry(h, r, "checksum mismatch") == 1);
	CU_ASSERT_FATAL(wn_http_next(h, &r) == 1);
	CU_ASSERT(r->attempts == 2 && r->status == 200);
	wn_http_req_free(r);
	wn_http_free(h);
}

static void
test_refusals(void)
{
	struct wn_http *h = engine(2, 1000);
	struct wn_http_req *r;

	r = fetch1(h, "/big", NULL);
	CU_ASSERT(r->err == -WN_ETOOBIG);
	CU_ASSERT(r->attempts == 1);
	wn_http_req_free(r);

	r = fetch1(h, "/tofile", NULL);
	CU_ASSERT(r->err != 0);		/* redirect to file:// refused */
	CU_ASSERT(r->body.len == 0);
	wn_http_req_free(r);

	r = wn_http_req_new("file:///etc/passwd", 0, 0, NULL);
	wn_http_add(h, r);
	CU_ASSERT_FATAL(wn_http_next(h, &r) == 1);
	CU_ASSERT(r->err != 0 && r->body.len == 0);
	wn_http_req_free(r);

	r = wn_http_req_new("http://127.0.0.1:1/nothing", 0, 0, NULL);
	wn_http_add(h, r);
	CU_ASSERT_FATAL(wn_http_next(h, &r) == 1);
	CU_ASSERT(r->err == -WN_ENET && r->attempts == 2);
	CU_ASSERT(r->errmsg[0] != '\0');
	wn_http_req_free(r);
	wn_http_free(h);
}

static void
test_file_flag(void)
{
	struct wn_http_opts o = { .allow_file = 1 };
	struct wn_http *h = NULL;
	struct wn_http_req *r;
	char url[4200], path[] = "/tmp/wn-http-XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "local", 5) == 5);
	close(fd);
	CU_ASSERT_FATAL(wn_http_new(&o, &h) == 0);
	snprintf(url, sizeof(url), "file://%s", path);
	r = wn_http_req_new(url, 0, 0, NULL);
	wn_http_add(h, r);
	CU_ASSERT_FATAL(wn_http_next(h, &r) == 1);
	CU_ASSERT(r->err == 0 && r->body.len == 5);
	wn_http_req_free(r);
	wn_http_free(h);
	unlink(path);
}

static void
test_pool_limits(void)
{
	struct wn_http *h = engine(2, 0);
	int p1 = wn_http_pool_add(h, "conc", 0, 2);
	int p2 = wn_http_pool_add(h, "rate", 20, 0);
	int i, n = 0;
	struct wn_http_req *r;
	char url[256];

	CU_ASSERT_FATAL(p1 > 0 && p2 > p1);
	max_inflight = inflight = hits_pool = 0;
	for (i = 0; i < 8; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/pool%d", port, i);
		wn_http_add(h, wn_http_req_new(url, p1, 0, NULL));
	}
	while (wn_http_next(h, &r) == 1) {
		CU_ASSERT(r->status == 200);
		wn_http_req_free(r);
		n++;
	}
	CU_ASSERT(n == 8);
	CU_ASSERT(max_inflight <= 2);
	CU_ASSERT(max_inflight >= 1);

	/* rate 20/s: starts are at least 50 ms apart (a lower bound, not a timing) */
	hits_pool = 0;
	for (i = 0; i < 5; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/pool-r%d", port, i);
		wn_http_add(h, wn_http_req_new(url, p2, 0, NULL));
	}
	while (wn_http_next(h, &r) == 1)
		wn_http_req_free(r);
	CU_ASSERT_FATAL(hits_pool == 5);
	for (i = 1; i < 5; i++)
		CU_ASSERT(pool_times[i] - pool_times[i - 1] >= 0.045);
	wn_http_free(h);
}

static void
test_redact(void)
{
	char *s;

	s = wn_http_redact("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?db=pmc"
			   "&api_key=SECRET123&term=x");
	CU_ASSERT(s != NULL && strstr(s, "SECRET") == NULL);
	CU_ASSERT(strcmp(s, "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi"
			    "?db=pmc&term=x") == 0);
	free(s);
	s = wn_http_redact("http://user:pw@host/x?api_key=K");
	CU_ASSERT(strcmp(s, "http://host/x") == 0);
	free(s);
	s = wn_http_redact("http://host/x?a=1&b=2");
	CU_ASSERT(strcmp(s, "http://host/x?a=1&b=2") == 0);
	free(s);
}

static void
test_secret_not_in_ledger(void)
{
	struct wn_http *h = engine(2, 0);
	struct wn_http_req *r;

	r = fetch1(h, "/ok?api_key=TOPSECRET", NULL);
	CU_ASSERT(strcmp(last_api_key, "TOPSECRET") == 0);	/* sent to the server */
	CU_ASSERT(strstr(r->log_url, "TOPSECRET") == NULL);
	wn_http_req_free(r);
	wn_http_free(h);
}

static void
test_ledger(void)
{
	char dir[] = "/tmp/wn-ledger-XXXXXX", path[256];
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1 };
	struct wn_ledger l;
	struct wn_fetch f;
	sqlite3_stmt *st;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/w.db", dir);
	CU_ASSERT_FATAL(wn_db_open(path, &o, &db) == 0);
	CU_ASSERT_FATAL(wn_ledger_init(&l, db) == 0);
	CU_ASSERT(wn_ledger_get(&l, "http://h/x?api_key=S", &f) == 0);
	CU_ASSERT(wn_ledger_put(&l, "http://h/x?api_key=S", "failed", 3, 503, NULL, NULL,
				NULL, -1, "HTTP 503 after 3 attempts") == 0);
	CU_ASSERT(wn_ledger_put(&l, "http://h/x?api_key=OTHER", "done", 1, 200, "\"e\"",
				"Sat, 28 Nov 2026 10:00:00 GMT", "md5:00ff", 12, NULL) == 0);
	CU_ASSERT_FATAL(wn_ledger_get(&l, "http://h/x", &f) == 1);
	CU_ASSERT(strcmp(f.state, "done") == 0);
	CU_ASSERT(f.attempts == 4);
	CU_ASSERT(f.http_status == 200);
	CU_ASSERT(f.etag != NULL && strcmp(f.etag, "\"e\"") == 0);
	CU_ASSERT(f.checksum != NULL && strcmp(f.checksum, "md5:00ff") == 0);
	CU_ASSERT(f.bytes == 12);
	CU_ASSERT(f.last_error == NULL);
	wn_fetch_release(&f);
	/* a 304 keeps what the 200 recorded */
	CU_ASSERT(wn_ledger_put(&l, "http://h/x", "done", 1, 304, NULL, NULL, NULL, -1,
				NULL) == 0);
	CU_ASSERT_FATAL(wn_ledger_get(&l, "http://h/x", &f) == 1);
	CU_ASSERT(f.etag != NULL && f.bytes == 12 && f.http_status == 304);
	wn_fetch_release(&f);
	CU_ASSERT(sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM fetches WHERE url LIKE "
				     "'%api_key%'", -1, &st, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
	sqlite3_finalize(st);
	wn_ledger_release(&l);
	wn_db_close(db);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CU_ASSERT(dir[0] == '/');
	{
		char p2[300];

		snprintf(p2, sizeof(p2), "%s/w.db", dir);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s/w.db-wal", dir);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s/w.db-shm", dir);
		unlink(p2);
		rmdir(dir);
	}
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	if (server_start() < 0)
		return 99;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("http", NULL, NULL);
	CU_add_test(s, "basic, redirect, 404", test_basic);
	CU_add_test(s, "conditional requests", test_conditional);
	CU_add_test(s, "retries", test_retries);
	CU_add_test(s, "refusals", test_refusals);
	CU_add_test(s, "file:// behind the test flag", test_file_flag);
	CU_add_test(s, "pool limits", test_pool_limits);
	CU_add_test(s, "redaction", test_redact);
	CU_add_test(s, "no secret in log url", test_secret_not_in_ledger);
	CU_add_test(s, "ledger", test_ledger);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
