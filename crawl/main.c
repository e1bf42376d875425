/*
 * winnow-crawl: fetch articles (or posts) with their figures and captions into
 * the database and the image store.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/europepmc.h"
#include "crawl/pmc.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/store.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "lib/banned.h"

static const char usage_text[] =
	"usage: winnow-crawl pmc [-qv] [-d FILE] --query Q [--since DATE | --reldate DAYS]\n"
	"                        [--until DATE] [--max N] [--no-media] [--api-key K]\n"
	"                        [--email E] [--eutils-base URL] [--s3-base URL]\n"
	"       winnow-crawl pmc [-qv] [-d FILE] --ids FILE [--max N] [--no-media] ...\n"
	"       winnow-crawl europepmc [-qv] [-d FILE] (--query Q | --ids FILE) [--max N]\n"
	"                        [--no-media] [--europepmc-base URL] [--files-base URL]\n"
	"\n"
	"Crawl PubMed Central: search with E-utilities, then fetch each article's\n"
	"newest version from the PMC cloud bucket (metadata, JATS XML, figures checked\n"
	"against their MD5).  Prints the ids of new or changed documents.  The europepmc\n"
	"source searches Europe PMC (cursorMark) and reads each article's fullTextXML.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE          database (default $WINNOW_DB, else ./winnow.db)\n"
	"      --query Q          Entrez query for db=pmc\n"
	"      --ids FILE         PMC ids, one per line ('-' for standard input)\n"
	"      --since DATE       articles released since DATE (YYYY-MM-DD)\n"
	"      --until DATE       ... and until DATE\n"
	"      --reldate DAYS     articles released in the last DAYS days\n"
	"      --max N            visit at most N articles\n"
	"      --no-media         documents and captions only, no images\n"
	"      --api-key K        NCBI API key (default $NCBI_API_KEY; never stored)\n"
	"      --email E          contact address sent to NCBI (default $NCBI_EMAIL)\n"
	"      --eutils-base URL  E-utilities base URL\n"
	"      --s3-base URL      PMC cloud bucket base URL\n"
	"      --cdn-base URL     PMC CDN base URL (articles outside the bucket)\n"
	"      --legacy-oa        use the OA Web Service and its tar.gz packages\n"
	"      --oa-base URL      OA Web Service URL (oa.fcgi)\n"
	"      --ftp-base URL     base serving the packages' ftp:// tree over https\n"
	"      --europepmc-base URL  Europe PMC REST base URL\n"
	"      --files-base URL   base of Europe PMC's article files (figures)\n"
	"      --eutils-rate R    E-utilities requests per second (3, or 10 with a key)\n"
	"      --connections N    bucket transfers at once (8)\n"
	"      --retries N        tries per request (6)\n"
	"      --shard K/N        only the articles of shard K of N (by PMCID)\n"
	"      --max-errors N     rejected records tolerated before exit status 1\n"
	"      --busy-timeout MS  wait this long for a locked database (10000)\n"
	"      --line-buffered    flush standard output after every id\n"
	"  -q, --quiet            errors only\n"
	"  -v, --verbose          more messages (repeatable)\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show versions\n"
	"\n"
	"See winnow-crawl(1).\n";

enum {
	OPT_QUERY = 256, OPT_IDS, OPT_SINCE, OPT_UNTIL, OPT_RELDATE, OPT_MAX, OPT_NO_MEDIA,
	OPT_API_KEY, OPT_EMAIL, OPT_EUTILS, OPT_S3, OPT_CDN, OPT_ERATE, OPT_CONNS,
	OPT_RETRIES, OPT_MAX_ERRORS, OPT_BUSY, OPT_LINEBUF, OPT_BACKOFF, OPT_TEST_FILE,
	OPT_LEGACY, OPT_OA, OPT_FTP, OPT_EPMC, OPT_FILES, OPT_SHARD,
};

static int
valid_date(const char *s)
{
	int y, m, d;
	char sep1, sep2, extra;

	if (sscanf(s, "%4d%c%2d%c%2d%c", &y, &sep1, &m, &sep2, &d, &extra) != 5)
		return 0;
	return (sep1 == '-' || sep1 == '/') && sep2 == sep1 && y >= 1800 && y <= 3000 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31 && strlen(s) == 10;
}

static const char *arg_epmc_base, *arg_files_base;

/*
 * getopt_long takes any unambiguous abbreviation ("--api K", "--api-k=K"); the
 * run record masks only the full option, so spell abbreviations out first.
 */
static char **
canonical_args(int argc, char *argv[])
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	int i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);

		v[i] = argv[i];
		if (n >= 4 && n < strlen("--api-key") && strncmp(a, "--api-key", n) == 0)
			v[i] = eq != NULL ? "--api-key=***" : "--api-key";
	}
	return v;
}

static int
run(const char *db_path, struct pmc_opts *o, int source, int busy_ms, int argc, char *argv[])
{
	struct wn_db_opts dbo = { .create = 1, .busy_timeout_ms = busy_ms };
	struct wn_db *db = NULL;
	struct pmc_stats st = { 0 };
	char summary[256];
	double t0 = wn_now();
	int rc, status, lock = -1;

	rc = wn_db_open(db_path, &dbo, &db);
	if (rc < 0) {
		wn_error("cannot open '%s': %s", db_path, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	rc = wn_store_lock(db->store, &lock);
	if (rc == -EWOULDBLOCK) {
		wn_error("another winnow-crawl is writing into '%s'", db->store);
		wn_db_close(db);
		return EX_TEMPFAIL;
	}
	if (rc < 0) {
		wn_error("cannot lock the store '%s': %s", db->store, wn_strerror(rc));
		wn_db_close(db);
		return EX_CANTCREAT;
	}
	wn_store_clean_tmp(db->store);
	{
		char **cargv = canonical_args(argc, argv);

		rc = cargv != NULL ? wn_db_run_begin(db, "winnow-crawl", argc, cargv) : -ENOMEM;
		free(cargv);
	}
	if (rc < 0) {
		wn_error("cannot record the run in '%s': %s", db_path, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	if (source == 1)
		rc = epmc_run(db, o, arg_epmc_base, arg_files_base, stdout, &st);
	else
		rc = pmc_run(db, o, stdout, &st);
	if (rc == -WN_EBUSY)
		wn_error("database '%s' is locked: %s", db_path, wn_strerror(rc));
	else if (rc == -WN_ENET || rc == -WN_EREMOTE || rc == -WN_EHTTP)
		wn_error("the service is not answering; try again later");
	else if (rc == -EACCES)
		wn_error("the service refuses us: %s", wn_strerror(rc));
	else if (rc < 0)
		wn_error("crawl stopped: %s", wn_strerror(rc));
	if (rc == -WN_ENET || rc == -WN_EREMOTE || rc == -WN_EHTTP || rc == -WN_EBUSY)
		status = EX_TEMPFAIL;
	else if (rc == -EACCES)
		status = EX_UNAVAILABLE;
	else if (rc < 0)
		status = wn_exit_status(rc);
	else if (st.transient > 0)
		status = EX_TEMPFAIL;	/* some articles could not be reached: rerun */
	else if (o->max_errors >= 0 && st.rejected > o->max_errors)
		status = WN_EX_PARTIAL;
	else
		status = EX_OK;
	snprintf(summary, sizeof(summary),
		 "%lld articles: %lld new, %lld changed, %lld unchanged; %lld images "
		 "(%.1f MB), %lld rejected, %lld to retry in %.1fs",
		 (long long)st.articles, (long long)st.new_docs, (long long)st.changed_docs,
		 (long long)st.unchanged, (long long)st.images, st.bytes / 1e6,
		 (long long)st.rejected, (long long)st.transient, wn_now() - t0);
	if (status == EX_OK)
		wn_summary("done: %s", summary);
	else
		wn_warn("done: %s", summary);
	wn_db_run_end(db, status, summary);
out:
	wn_db_close(db);
	wn_store_unlock(lock);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db",           required_argument, NULL, 'd' },
		{ "query",        required_argument, NULL, OPT_QUERY },
		{ "ids",          required_argument, NULL, OPT_IDS },
		{ "since",        required_argument, NULL, OPT_SINCE },
		{ "until",        required_argument, NULL, OPT_UNTIL },
		{ "reldate",      required_argument, NULL, OPT_RELDATE },
		{ "max",          required_argument, NULL, OPT_MAX },
		{ "no-media",     no_argument,       NULL, OPT_NO_MEDIA },
		{ "api-key",      required_argument, NULL, OPT_API_KEY },
		{ "email",        required_argument, NULL, OPT_EMAIL },
		{ "eutils-base",  required_argument, NULL, OPT_EUTILS },
		{ "s3-base",      required_argument, NULL, OPT_S3 },
		{ "cdn-base",     required_argument, NULL, OPT_CDN },
		{ "legacy-oa",    no_argument,       NULL, OPT_LEGACY },
		{ "europepmc-base", required_argument, NULL, OPT_EPMC },
		{ "files-base",   required_argument, NULL, OPT_FILES },
		{ "oa-base",      required_argument, NULL, OPT_OA },
		{ "ftp-base",     required_argument, NULL, OPT_FTP },
		{ "eutils-rate",  required_argument, NULL, OPT_ERATE },
		{ "connections",  required_argument, NULL, OPT_CONNS },
		{ "retries",      required_argument, NULL, OPT_RETRIES },
		{ "max-errors",   required_argument, NULL, OPT_MAX_ERRORS },
		{ "shard",        required_argument, NULL, OPT_SHARD },
		{ "busy-timeout", required_argument, NULL, OPT_BUSY },
		{ "line-buffered", no_argument,      NULL, OPT_LINEBUF },
		{ "backoff",      required_argument, NULL, OPT_BACKOFF },
		{ "test-allow-file", no_argument,    NULL, OPT_TEST_FILE },
		{ "quiet",        no_argument,       NULL, 'q' },
		{ "verbose",      no_argument,       NULL, 'v' },
		{ "help",         no_argument,       NULL, 'h' },
		{ "version",      no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct pmc_opts o = { .max_errors = -1 };
	const char *db_path = wn_db_default_path();
	int c, verbosity = 1, busy_ms = 0, source;
	int64_t v;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-crawl", 1);
	opterr = 0;
	o.api_key = getenv("NCBI_API_KEY");
	o.email = getenv("NCBI_EMAIL");
	while ((c = getopt_long(argc, argv, "d:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db_path = optarg;
			break;
		case OPT_QUERY:
			o.query = optarg;
			break;
		case OPT_IDS:
			o.ids_file = optarg;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (!valid_date(optarg))
				return wn_usage_error("invalid date '%s' (YYYY-MM-DD)", optarg);
			if (c == OPT_SINCE)
				o.since = optarg;
			else
				o.until = optarg;
			break;
		case OPT_RELDATE:
			if (wn_parse_i64(optarg, 1, 100000, &v) < 0)
				return wn_usage_error("invalid --reldate '%s'", optarg);
			o.reldate = (int)v;
			break;
		case OPT_MAX:
			if (wn_parse_i64(optarg, 1, INT64_MAX, &o.max) < 0)
				return wn_usage_error("invalid --max '%s'", optarg);
			break;
		case OPT_NO_MEDIA:
			o.no_media = 1;
			break;
		case OPT_API_KEY:
			o.api_key = optarg;
			break;
		case OPT_EMAIL:
			o.email = optarg;
			break;
		case OPT_LEGACY:
			o.legacy_oa = 1;
			break;
		case OPT_EUTILS:
		case OPT_S3:
		case OPT_CDN:
		case OPT_OA:
		case OPT_FTP:
		case OPT_EPMC:
		case OPT_FILES:
			if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0 &&
			    !(o.allow_file && strncmp(optarg, "file://", 7) == 0))
				return wn_usage_error("'%s' is not an http or https URL", optarg);
			if (c == OPT_EUTILS)
				o.eutils_base = optarg;
			else if (c == OPT_S3)
				o.s3_base = optarg;
			else if (c == OPT_OA)
				o.oa_base = optarg;
			else if (c == OPT_FTP)
				o.ftp_base = optarg;
			else if (c == OPT_EPMC)
				arg_epmc_base = optarg;
			else if (c == OPT_FILES)
				arg_files_base = optarg;
			else
				o.cdn_base = optarg;
			break;
		case OPT_ERATE:
			if (wn_parse_double(optarg, 0.01, 1000, &o.eutils_rate) < 0)
				return wn_usage_error("invalid --eutils-rate '%s'", optarg);
			break;
		case OPT_CONNS:
			if (wn_parse_i64(optarg, 1, 256, &v) < 0)
				return wn_usage_error("invalid --connections '%s'", optarg);
			o.s3_conns = (int)v;
			o.in_flight = (int)v * 4;
			break;
		case OPT_RETRIES:
			if (wn_parse_i64(optarg, 1, 100, &v) < 0)
				return wn_usage_error("invalid --retries '%s'", optarg);
			o.max_attempts = (int)v;
			break;
		case OPT_MAX_ERRORS:
			if (wn_parse_i64(optarg, 0, INT64_MAX, &o.max_errors) < 0)
				return wn_usage_error("invalid --max-errors '%s'", optarg);
			break;
		case OPT_SHARD:
			if (wn_parse_shard(optarg, &o.shard_k, &o.shard_n) < 0)
				return wn_usage_error("invalid --shard '%s' (K/N, 0 <= K < N)", optarg);
			break;
		case OPT_BUSY:
			if (wn_parse_i64(optarg, 0, 3600000, &v) < 0)
				return wn_usage_error("invalid --busy-timeout '%s'", optarg);
			busy_ms = (int)v;
			break;
		case OPT_LINEBUF:
			o.line_buffered = 1;
			break;
		case OPT_BACKOFF:	/* tests: shorter delays between tries */
			if (wn_parse_double(optarg, 0.001, 60, &o.backoff_s) < 0)
				return wn_usage_error("invalid --backoff '%s'", optarg);
			break;
		case OPT_TEST_FILE:	/* tests only: file:// base URLs */
			o.allow_file = 1;
			break;
		default:
			if ((c = wn_common_option(c, argv, usage_text, &verbosity)) >= 0)
				return c;
			break;
		}
	}
	if (optind >= argc)
		return wn_usage_error("missing source (pmc)");
	if (strcmp(argv[optind], "pmc") == 0)
		source = 0;
	else if (strcmp(argv[optind], "europepmc") == 0)
		source = 1;
	else
		return wn_usage_error("unknown source '%s'", argv[optind]);
	if (source == 1 && o.legacy_oa)
		return wn_usage_error("--legacy-oa is for the pmc source");
	if (optind + 1 != argc)
		return wn_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if ((o.query == NULL) == (o.ids_file == NULL))
		return wn_usage_error("give either --query or --ids");
	if (o.reldate > 0 && o.since != NULL)
		return wn_usage_error("--since and --reldate exclude each other");
	wn_log_init("winnow-crawl", verbosity);
	if (o.line_buffered || isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	return wn_finish_stdout(run(db_path, &o, source, busy_ms, argc, argv));
}
