/*
 * db.c: open the database, apply migrations, transactions, run records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/log.h"
#include "lib/util.h"
#include "wn-config.h"
#include "lib/banned.h"

const char *
wn_db_default_path(void)
{
	const char *p = getenv("WINNOW_DB");

	if (p == NULL || *p == '\0')
		p = getenv("WN_DB");
	return p && *p ? p : "winnow.db";
}

int
wn_db_error(struct wn_db *db)
{
	int ec = sqlite3_extended_errcode(db->sql), pc = ec & 0xff;

	if (pc == SQLITE_BUSY || pc == SQLITE_LOCKED)
		return -WN_EBUSY;
	if (pc == SQLITE_NOMEM)
		return -ENOMEM;
	if (pc == SQLITE_CANTOPEN)
		return -ENOENT;
	if (pc == SQLITE_READONLY || pc == SQLITE_PERM)
		return -EACCES;
	if (pc == SQLITE_IOERR || pc == SQLITE_FULL)
		return -EIO;
	if (pc == SQLITE_CORRUPT || pc == SQLITE_NOTADB)
		return -WN_ECORRUPT;
	return -WN_EDB;
}

const char *
wn_db_errmsg(struct wn_db *db)
{
	return db && db->sql ? sqlite3_errmsg(db->sql) : "no database";
}

int
wn_db_run_finish(struct wn_db *db, int in_tx, int rc, int status,
		 const char *summary)
{
	if (in_tx)
		wn_db_rollback(db);
	if (rc < 0) {
		wn_error("%s", wn_db_strerror(db, rc));
		status = wn_exit_status(rc);
	}
	(void)wn_db_run_end(db, status, rc < 0 ? wn_strerror(rc) : summary);
	return status;
}

const char *
wn_db_strerror(struct wn_db *db, int rc)
{
	return rc == -WN_EDB && db != NULL ? wn_db_errmsg(db) : wn_strerror(rc);
}

int
wn_db_exec(struct wn_db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &err) != SQLITE_OK) {
		int rc = wn_db_error(db);

		wn_debug("sql: %s", err ? err : "?");
		sqlite3_free(err);
		return rc;
	}
	return 0;
}

int
wn_db_prepare(struct wn_db *db, const char *sql, sqlite3_stmt **ret_st)
{
	if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, ret_st, NULL) !=
	    SQLITE_OK) {
		wn_debug("prepare: %s", sqlite3_errmsg(db->sql));
		return wn_db_error(db);
	}
	return 0;
}

int
wn_db_step_done(struct wn_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : wn_db_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
wn_db_begin(struct wn_db *db)
{
	return wn_db_exec(db, "BEGIN IMMEDIATE");
}

int
wn_db_commit(struct wn_db *db)
{
	int rc = wn_db_exec(db, "COMMIT");

	if (rc < 0)
		wn_db_rollback(db);
	return rc;
}

void
wn_db_rollback(struct wn_db *db)
{
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

void
wn_db_now(char *buf, int size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, (size_t)size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
wn_db_query_int64(struct wn_db *db, const char *sql, int64_t *ret_val)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return wn_db_error(db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*ret_val = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		rc = 0;
	} else {
		rc = wn_db_error(db);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
pragma_int(struct wn_db *db, const char *sql, int *ret)
{
	int64_t v;
	int rc = wn_db_query_int64(db, sql, &v);

	if (rc == 0)
		*ret = (int)v;
	return rc;
}

static int
latest_version(void)
{
	return wn_migrations_count > 0 ? wn_migrations[wn_migrations_count - 1].version : 0;
}

/* Apply pending migrations in one IMMEDIATE transaction. */
static int
migrate(struct wn_db *db)
{
	int rc, ver = 0, appid = 0;
	char sql[96];

	if ((rc = pragma_int(db, "PRAGMA user_version", &ver)) < 0)
		return rc;
	if (ver > latest_version())
		return -WN_ESCHEMA;
	if (ver == latest_version()) {
		db->schema_version = ver;
		return 0;
	}
	if ((rc = wn_db_begin(db)) < 0)
		return rc;
	/* another process may have migrated while we waited for the lock */
	if ((rc = pragma_int(db, "PRAGMA user_version", &ver)) < 0)
		goto fail;
	if ((rc = pragma_int(db, "PRAGMA application_id", &appid)) < 0)
		goto fail;
	if (ver == 0 && appid == 0) {
		int ntables = 0;

		if ((rc = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &ntables)) < 0)
			goto fail;
		if (ntables > 0) {
			rc = -WN_EFORMAT;	/* someone else's database */
			goto fail;
		}
	} else if (appid != WN_DB_APPLICATION_ID) {
		rc = -WN_EFORMAT;
		goto fail;
	}
	for (int i = 0; i < wn_migrations_count; i++) {
		if (wn_migrations[i].version <= ver)
			continue;
		if ((rc = wn_db_exec(db, wn_migrations[i].sql)) < 0) {
			wn_error("migration %04d-%s failed: %s", wn_migrations[i].version,
				 wn_migrations[i].name, sqlite3_errmsg(db->sql));
			goto fail;
		}
		ver = wn_migrations[i].version;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", ver);
	if ((rc = wn_db_exec(db, sql)) < 0)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", WN_DB_APPLICATION_ID);
	if ((rc = wn_db_exec(db, sql)) < 0)
		goto fail;
	if ((rc = wn_db_commit(db)) < 0)
		return rc;
	db->schema_version = ver;
	return 0;
fail:
	wn_db_rollback(db);
	return rc;
}

static char *
default_store(const char *path)
{
	const char *env = getenv("WN_STORE");
	size_t n = strlen(path);
	char *s;

	if (env && *env)
		return strdup(env);
	if (n > 3 && strcmp(path + n - 3, ".db") == 0)
		n -= 3;
	s = malloc(n + sizeof("-store"));
	if (s == NULL)
		return NULL;
	memcpy(s, path, n);
	memcpy(s + n, "-store", sizeof("-store"));
	return s;
}

int
wn_db_open(const char *path, const struct wn_db_opts *opts, struct wn_db **ret_db)
{
	struct wn_db_opts o = opts ? *opts : (struct wn_db_opts){ 0 };
	struct wn_db *db;
	struct stat st;
	sqlite3_stmt *jm = NULL;
	int rc, flags;

	if (!o.create && stat(path, &st) != 0)
		return -errno;
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	db->path = strdup(path);
	db->store = o.store ? strdup(o.store) : default_store(path);
	if (db->path == NULL || db->store == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	flags = o.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (o.create && !o.readonly)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->sql, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = db->sql ? wn_db_error(db) : -ENOMEM;
		if (rc == -WN_EDB)
			rc = -ENOENT;
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, o.busy_timeout_ms > 0 ? o.busy_timeout_ms :
				      WN_DB_BUSY_TIMEOUT_MS);
	if (!o.readonly) {
		const unsigned char *mode;

		if (sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode=WAL", -1, &jm, NULL) !=
		    SQLITE_OK) {
			rc = wn_db_error(db);
			goto fail;
		}
		if (sqlite3_step(jm) != SQLITE_ROW) {
			rc = wn_db_error(db);
			goto fail;
		}
		mode = sqlite3_column_text(jm, 0);
		if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
			wn_debug("journal_mode is '%s', not wal", mode ? (const char *)mode : "?");
			rc = -WN_EDB;
			goto fail;
		}
		sqlite3_finalize(jm);
		jm = NULL;
		if ((rc = wn_db_exec(db, "PRAGMA synchronous=NORMAL")) < 0)
			goto fail;
	}
	if ((rc = wn_db_exec(db, "PRAGMA foreign_keys=ON")) < 0)
		goto fail;
	if (o.readonly) {
		int ver = 0;

		if ((rc = pragma_int(db, "PRAGMA user_version", &ver)) < 0)
			goto fail;
		if (ver > latest_version()) {
			rc = -WN_ESCHEMA;
			goto fail;
		}
		db->schema_version = ver;
	} else if ((rc = migrate(db)) < 0) {
		goto fail;
	}
	*ret_db = db;
	return 0;
fail:
	sqlite3_finalize(jm);
	wn_db_close(db);
	return rc;
}

void
wn_db_close(struct wn_db *db)
{
	if (db == NULL)
		return;
	if (db->sql) {
		wn_db_rollback(db);
		if (sqlite3_close(db->sql) != SQLITE_OK) {
			/* a statement was leaked: a bug, and tests should see it */
			wn_error("cannot close '%s': %s", db->path ? db->path : "?",
				 sqlite3_errmsg(db->sql));
			sqlite3_close_v2(db->sql);
		}
	}
	free(db->path);
	free(db->store);
	free(db);
}

/* Arguments as one string, values of secret options replaced by "***". */
static int
args_masked(int argc, char *const argv[], struct wn_buf *b)
{
	static const char *const secret[] = { "--api-key", "--password", "--token",
					      "--access-token" };
	int mask_next = 0, rc = 0;

	for (int i = 1; i < argc && rc == 0; i++) {
		const char *a = argv[i];
		int masked = mask_next;

		mask_next = 0;
		if (i > 1)
			rc = wn_buf_addstr(b, " ");
		for (size_t k = 0; k < sizeof(secret) / sizeof(*secret) && rc == 0; k++) {
			size_t n = strlen(secret[k]);

			if (strcmp(a, secret[k]) == 0) {
				mask_next = 1;
			} else if (strncmp(a, secret[k], n) == 0 && a[n] == '=') {
				rc = wn_buf_printf(b, "%s=***", secret[k]);
				masked = 2;
			}
		}
		if (rc == 0 && masked == 1)
			rc = wn_buf_addstr(b, "***");
		else if (rc == 0 && masked == 0)
			rc = wn_buf_addstr(b, a);
	}
	return rc;
}

int
wn_db_run_begin(struct wn_db *db, const char *tool, int argc, char *const argv[])
{
	static const char sql[] =
		"INSERT INTO runs (tool, version, args, started_at) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	struct wn_buf args;
	char now[32];
	int rc;

	wn_buf_init(&args, 1 << 16);
	if ((rc = args_masked(argc, argv, &args)) < 0)
		goto out;
	wn_db_now(now, sizeof(now));
	if ((rc = wn_db_prepare(db, sql, &st)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, WN_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, args.data ? args.data : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if ((rc = wn_db_step_done(db, st)) == 0)
		db->run_id = sqlite3_last_insert_rowid(db->sql);
out:
	sqlite3_finalize(st);
	wn_buf_release(&args);
	return rc;
}

int
wn_db_run_end(struct wn_db *db, int status, const char *summary)
{
	static const char sql[] =
		"UPDATE runs SET finished_at = ?1, status = ?2, summary = ?3 WHERE id = ?4";
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if (db == NULL || db->run_id == 0)
		return 0;
	wn_db_now(now, sizeof(now));
	if ((rc = wn_db_prepare(db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, status);
	sqlite3_bind_text(st, 3, summary, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, db->run_id);
	rc = wn_db_step_done(db, st);
	sqlite3_finalize(st);
	return rc;
}
