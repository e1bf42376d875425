/*
 * winnow-db: create, check and describe a winnow database.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/export.h"
#include "db/merge.h"
#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "lib/banned.h"

static const char usage_text[] =
	"usage: winnow-db [-qv] [-d FILE] init\n"
	"       winnow-db [-qv] [-d FILE] check\n"
	"       winnow-db [-qv] [-d FILE] stats [--json]\n"
	"       winnow-db [-qv] [-d FILE] checkpoint\n"
	"       winnow-db [-qv] [-d FILE] merge SHARD.db...\n"
	"       winnow-db [-qv] [-d FILE] export [--jsonl | --csv] [-o FILE] [--split S]\n"
	"       winnow-db [-qv] [-d FILE] export --webdataset -o DIR [--shard-size N] [--split S]\n"
	"\n"
	"Create, check and describe a winnow database.\n"
	"\n"
	"Commands:\n"
	"  init        create the database (or migrate it to this version)\n"
	"  check       integrity and foreign-key check\n"
	"  stats       rows per table and per reason code\n"
	"  checkpoint  fold the write-ahead log into the database file\n"
	"  merge       add shard databases (and their images) into this one\n"
	"  export      curated pairs as JSON Lines (default), CSV or WebDataset shards\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE        database (default $WINNOW_DB, else ./winnow.db)\n"
	"      --busy-timeout MS  wait this long for a locked database (10000)\n"
	"      --json           stats as one JSON object\n"
	"      --jsonl          export JSON Lines\n"
	"      --csv            export CSV (RFC 4180, with a header)\n"
	"      --webdataset     export tar shards of KEY.jpg, KEY.txt, KEY.json into DIR\n"
	"      --shard-size N   samples per WebDataset shard (default 10000)\n"
	"  -o, --output FILE    export to FILE instead of standard output\n"
	"      --split S        export only pairs of split S (train, val, test)\n"
	"  -q, --quiet          errors only\n"
	"  -v, --verbose        more messages (repeatable)\n"
	"  -h, --help           show this help\n"
	"  -V, --version        show versions\n"
	"\n"
	"See winnow-db(1).\n";

struct opts {
	const char *db_path;
	const char *cmd;
	char **args;		/* borrowed: operands after the command */
	int nargs;
	const char *output;
	const char *split;
	int busy_ms;
	int json;
	int format;		/* EXPORT_JSONL, EXPORT_CSV or EXPORT_WEBDATASET */
	int shard_size;
};

static const char *const stat_tables[] = {
	"documents", "figures", "images", "panels", "subcaptions", "pairs", "hashes",
	"duplicates", "embeddings", "fetches", "crawl_state", "runs",
};

/* (table, column) pairs whose values are reason codes or states to count */
static const struct {
	const char *key;
	const char *sql;
} stat_groups[] = {
	{ "pairs_by_status", "SELECT status, count(*) FROM pairs GROUP BY 1 ORDER BY 1" },
	{ "pairs_dropped_by_reason",
	  "SELECT reason, count(*) FROM pairs WHERE status = 'dropped' GROUP BY 1 ORDER BY 1" },
	{ "figures_by_status", "SELECT status, count(*) FROM figures GROUP BY 1 ORDER BY 1" },
	{ "figures_by_reason",
	  "SELECT reason, count(*) FROM figures WHERE reason IS NOT NULL GROUP BY 1 ORDER BY 1" },
	{ "fetches_by_state", "SELECT state, count(*) FROM fetches GROUP BY 1 ORDER BY 1" },
	{ "documents_by_source", "SELECT source, count(*) FROM documents GROUP BY 1 ORDER BY 1" },
	{ "duplicates_by_method", "SELECT method, count(*) FROM duplicates "
				  "WHERE is_representative = 0 GROUP BY 1 ORDER BY 1" },
};

static int
open_db(const struct opts *o, int create, int readonly, struct wn_db **ret)
{
	struct wn_db_opts dbo = { .create = create, .readonly = readonly,
				  .busy_timeout_ms = o->busy_ms };
	int rc = wn_db_open(o->db_path, &dbo, ret);

	if (rc == -WN_ESCHEMA)
		wn_error("'%s' has a schema newer than this winnow-db (which knows version %d)",
			 o->db_path, wn_migrations[wn_migrations_count - 1].version);
	else if (rc < 0)
		wn_error("cannot open '%s': %s", o->db_path, wn_strerror(rc));
	return rc;
}

static int
cmd_stats(struct wn_db *db, const struct opts *o)
{
	json_t *root = json_object(), *tables = json_object(), *groups = json_object();
	int rc = 0;
	int64_t n;
	char sql[128];

	if (root == NULL || tables == NULL || groups == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_set_new(root, "schema_version", json_integer(db->schema_version));
	json_object_set(root, "tables", tables);
	for (size_t i = 0; i < sizeof(stat_tables) / sizeof(*stat_tables); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", stat_tables[i]);
		if ((rc = wn_db_query_int64(db, sql, &n)) < 0)
			goto out;
		json_object_set_new(tables, stat_tables[i], json_integer(n));
	}
	if ((rc = wn_db_query_int64(db, "SELECT count(*) FROM curated_pairs", &n)) < 0)
		goto out;
	json_object_set_new(root, "curated_pairs", json_integer(n));
	for (size_t i = 0; i < sizeof(stat_groups) / sizeof(*stat_groups); i++) {
		json_t *g = json_object();
		sqlite3_stmt *st;

		if (g == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_set_new(groups, stat_groups[i].key, g);
		if (sqlite3_prepare_v2(db->sql, stat_groups[i].sql, -1, &st, NULL) != SQLITE_OK) {
			rc = wn_db_error(db);
			goto out;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *k = (const char *)sqlite3_column_text(st, 0);

			json_object_set_new(g, k ? k : "null",
					    json_integer(sqlite3_column_int64(st, 1)));
		}
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
		sqlite3_finalize(st);
		if (rc < 0)
			goto out;
	}
	json_object_update(root, groups);
	if (o->json) {
		rc = wn_json_write_line(stdout, root);
		goto out;
	}
	printf("schema version  %d\n", db->schema_version);
	for (size_t i = 0; i < sizeof(stat_tables) / sizeof(*stat_tables); i++)
		printf("%-16s%lld\n", stat_tables[i],
		       (long long)json_integer_value(json_object_get(tables, stat_tables[i])));
	printf("%-16s%lld\n", "curated_pairs",
	       (long long)json_integer_value(json_object_get(root, "curated_pairs")));
	for (size_t i = 0; i < sizeof(stat_groups) / sizeof(*stat_groups); i++) {
		json_t *g = json_object_get(groups, stat_groups[i].key), *v;
		const char *k;

		json_object_foreach(g, k, v)
			printf("%s.%s\t%lld\n", stat_groups[i].key, k,
			       (long long)json_integer_value(v));
	}
out:
	json_decref(root);
	json_decref(tables);
	json_decref(groups);
	return rc;
}

/* quick_check plus foreign_key_check; prints problems, returns count. */
static int
cmd_check(struct wn_db *db, int64_t *ret_problems)
{
	sqlite3_stmt *st = NULL;
	int64_t problems = 0;
	int rc;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return wn_db_error(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *msg = (const char *)sqlite3_column_text(st, 0);

		if (msg && strcmp(msg, "ok") != 0) {
			printf("integrity: %s\n", msg);
			problems++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wn_db_error(db);
	if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return wn_db_error(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		printf("foreign key: %s row %lld refers to a missing %s row\n",
		       (const char *)sqlite3_column_text(st, 0),
		       (long long)sqlite3_column_int64(st, 1),
		       (const char *)sqlite3_column_text(st, 2));
		problems++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return wn_db_error(db);
	*ret_problems = problems;
	return 0;
}

static int
run(const struct opts *o)
{
	struct wn_db *db = NULL;
	int rc, status = EX_OK;

	if (strcmp(o->cmd, "init") == 0) {
		if ((rc = open_db(o, 1, 0, &db)) < 0)
			return wn_exit_status(rc);
		wn_info("'%s' is at schema version %d", o->db_path, db->schema_version);
	} else if (strcmp(o->cmd, "check") == 0) {
		int64_t problems = 0;

		if ((rc = open_db(o, 0, 1, &db)) < 0)
			return wn_exit_status(rc);
		if ((rc = cmd_check(db, &problems)) < 0) {
			wn_error("check of '%s' failed: %s", o->db_path, wn_db_errmsg(db));
			status = wn_exit_status(rc);
		} else if (problems > 0) {
			wn_error("'%s': %lld problems found", o->db_path, (long long)problems);
			status = EX_DATAERR;
		} else {
			wn_info("'%s': ok", o->db_path);
		}
	} else if (strcmp(o->cmd, "stats") == 0) {
		if ((rc = open_db(o, 0, 1, &db)) < 0)
			return wn_exit_status(rc);
		if ((rc = cmd_stats(db, o)) < 0 && rc != -EPIPE) {
			wn_error("stats of '%s' failed: %s", o->db_path, wn_strerror(rc));
			status = wn_exit_status(rc);
		}
	} else if (strcmp(o->cmd, "checkpoint") == 0) {
		if ((rc = open_db(o, 0, 0, &db)) < 0)
			return wn_exit_status(rc);
		int64_t busy = 0;

		/* the pragma reports a blocked checkpoint in its first column */
		if ((rc = wn_db_query_int64(db, "PRAGMA wal_checkpoint(TRUNCATE)", &busy)) == 0 && busy)
			rc = -WN_EBUSY;
		if (rc < 0) {
			wn_error("checkpoint of '%s' failed: %s", o->db_path, wn_strerror(rc));
			status = wn_exit_status(rc);
		}
	} else if (strcmp(o->cmd, "merge") == 0) {
		if (o->nargs == 0) {
			return wn_usage_error("merge needs at least one shard database");
		}
		if ((rc = open_db(o, 1, 0, &db)) < 0)
			return wn_exit_status(rc);
		for (int i = 0; i < o->nargs && status == EX_OK; i++) {
			if (strcmp(o->args[i], o->db_path) == 0) {
				wn_error("cannot merge '%s' into itself", o->args[i]);
				status = EX_USAGE;
			} else if ((rc = merge_shard(db, o->args[i])) < 0) {
				status = wn_exit_status(rc);
			} else {
				wn_info("merged '%s'", o->args[i]);
			}
		}
	} else if (strcmp(o->cmd, "export") == 0) {
		struct export_opts eo = { .format = o->format, .output = o->output,
					  .split = o->split, .shard_size = o->shard_size };

		if ((rc = open_db(o, 0, 1, &db)) < 0)
			return wn_exit_status(rc);
		status = export_pairs(db, &eo);
	} else {
		wn_db_close(db);
		return wn_usage_error("unknown command '%s'", o->cmd);
	}
	wn_db_close(db);
	return status;
}

int
main(int argc, char *argv[])
{
	enum { OPT_JSON = 256, OPT_JSONL, OPT_CSV, OPT_WDS, OPT_SHARD_SIZE, OPT_SPLIT, OPT_BUSY };
	static const struct option longopts[] = {
		{ "db",           required_argument, NULL, 'd' },
		{ "output",       required_argument, NULL, 'o' },
		{ "json",         no_argument,       NULL, OPT_JSON },
		{ "jsonl",        no_argument,       NULL, OPT_JSONL },
		{ "csv",          no_argument,       NULL, OPT_CSV },
		{ "webdataset",   no_argument,       NULL, OPT_WDS },
		{ "shard-size",   required_argument, NULL, OPT_SHARD_SIZE },
		{ "split",        required_argument, NULL, OPT_SPLIT },
		{ "busy-timeout", required_argument, NULL, OPT_BUSY },
		{ "quiet",        no_argument,       NULL, 'q' },
		{ "verbose",      no_argument,       NULL, 'v' },
		{ "help",         no_argument,       NULL, 'h' },
		{ "version",      no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .db_path = wn_db_default_path(), .format = EXPORT_JSONL,
			  .shard_size = 10000 };
	int c, verbosity = 1;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-db", verbosity);
	opterr = 0;		/* wn_bad_option() says what was wrong */
	while ((c = getopt_long(argc, argv, "d:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 'o': o.output = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_JSONL: o.format = EXPORT_JSONL; break;
		case OPT_CSV: o.format = EXPORT_CSV; break;
		case OPT_WDS: o.format = EXPORT_WEBDATASET; break;
		case OPT_SHARD_SIZE:
			if (wn_parse_int(optarg, 1, 100000000, &o.shard_size) < 0)
				return wn_usage_error("invalid --shard-size '%s'", optarg);
			break;
		case OPT_SPLIT:
			if (strcmp(optarg, "train") && strcmp(optarg, "val") && strcmp(optarg, "test"))
				return wn_usage_error("--split must be train, val or test");
			o.split = optarg;
			break;
		case OPT_BUSY:
			if (wn_parse_int(optarg, 0, 3600000, &o.busy_ms) < 0)
				return wn_usage_error("invalid --busy-timeout '%s'", optarg);
			break;
		default:
			if ((c = wn_common_option(c, argv, usage_text, &verbosity)) >= 0)
				return c;
			break;
		}
	}
	wn_log_init("winnow-db", verbosity);
	if (optind >= argc)
		return wn_usage_error("missing command");
	o.cmd = argv[optind++];
	o.args = argv + optind;
	o.nargs = argc - optind;
	if (optind != argc && strcmp(o.cmd, "merge") != 0)
		return wn_usage_error("unexpected argument '%s'", argv[optind]);
	return wn_finish_stdout(run(&o));
}
