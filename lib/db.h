/*
 * db.h: the one way every winnow tool opens its SQLite database.
 *
 * wn_db_open() creates the file when asked, applies pending migrations (embedded
 * from db/migrations at build time) in one BEGIN IMMEDIATE, and sets WAL, the busy
 * timeout, synchronous=NORMAL and foreign keys.  A schema newer than this tool is
 * -WN_ESCHEMA (exit 78); a lock held past the timeout is -WN_EBUSY (exit 75).
 */
#ifndef WN_DB_H
#define WN_DB_H

#include <stdint.h>

#include <sqlite3.h>

#define WN_DB_APPLICATION_ID	0x574e4e57	/* "WNNW" */
#define WN_DB_BUSY_TIMEOUT_MS	10000

struct wn_db {
	sqlite3 *sql;		/* owned */
	char *path;		/* owned */
	char *store;		/* owned: content-addressed image store directory */
	int64_t run_id;		/* row in runs for this process, 0 if none */
	int schema_version;	/* user_version after migrations */
};

struct wn_db_opts {
	int create;		/* create the file if missing (else -ENOENT) */
	int readonly;		/* open read-only; no migrations (schema must be current
				   or older-but-readable) */
	int busy_timeout_ms;	/* 0 = WN_DB_BUSY_TIMEOUT_MS */
	const char *store;	/* NULL = $WN_STORE, else "<db without .db>-store" */
};

/* Migrations compiled into this binary (db-schema.c, generated). */
struct wn_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct wn_migration wn_migrations[];
extern const int wn_migrations_count;

/* Default database path: $WINNOW_DB, else $WN_DB, else "winnow.db". */
const char *wn_db_default_path(void);

int wn_db_open(const char *path, const struct wn_db_opts *opts, struct wn_db **ret_db)
	__attribute__((warn_unused_result));
/* Finalizes prepared statements it owns and sqlite3_close()s; NULL is a no-op. */
void wn_db_close(struct wn_db *db);

/* Negative error for the connection's last error (-WN_EBUSY for busy/locked). */
int wn_db_error(struct wn_db *db);
/* Text of the last error (borrowed). */
const char *wn_db_errmsg(struct wn_db *db);
/* What went wrong in rc: SQLite's message for -WN_EDB, else wn_strerror(). */
const char *wn_db_strerror(struct wn_db *db, int rc);

int wn_db_exec(struct wn_db *db, const char *sql)
	__attribute__((warn_unused_result));
/* Persistent prepare; the caller finalizes. */
int wn_db_prepare(struct wn_db *db, const char *sql, sqlite3_stmt **ret_st)
	__attribute__((warn_unused_result));
/* First column of the first row of a constant query (0 when there is no row). */
int wn_db_query_int64(struct wn_db *db, const char *sql, int64_t *ret_val)
	__attribute__((warn_unused_result));
/* sqlite3_step for a statement that returns no row; resets it. */
int wn_db_step_done(struct wn_db *db, sqlite3_stmt *st)
	__attribute__((warn_unused_result));

int wn_db_begin(struct wn_db *db)	/* BEGIN IMMEDIATE */
	__attribute__((warn_unused_result));
int wn_db_commit(struct wn_db *db)
	__attribute__((warn_unused_result));
void wn_db_rollback(struct wn_db *db);

/* Record this process in runs (tool, version, arguments with secrets masked). */
int wn_db_run_begin(struct wn_db *db, const char *tool, int argc, char *const argv[])
	__attribute__((warn_unused_result));
int wn_db_run_end(struct wn_db *db, int status, const char *summary);
/* The end of a stage's database work: roll back the open transaction if
   in_tx, report rc if it failed, record the run (summary, or the error) and
   return the exit status (status when rc >= 0). */
int wn_db_run_finish(struct wn_db *db, int in_tx, int rc, int status,
		     const char *summary);

/* UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" for now, into buf (>= 21 bytes). */
void wn_db_now(char *buf, int size);

#endif
