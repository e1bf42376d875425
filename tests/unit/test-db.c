/*
 * test-db: opening, migrations, version and ownership checks, locking, run
 * records, and the curated_pairs view.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "lib/db.h"
#include "lib/log.h"

static char dir[] = "/tmp/winnow-test-db.XXXXXX";

static const char *
path(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int64_t
count(struct wn_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_create_and_migrate(void)
{
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1 };

	CU_ASSERT_EQUAL(wn_db_open(path("none.db"), NULL, &db), -ENOENT);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("a.db"), &o, &db), 0);
	CU_ASSERT_EQUAL(db->schema_version, wn_migrations[wn_migrations_count - 1].version);
	CU_ASSERT_EQUAL(count(db, "PRAGMA application_id"), WN_DB_APPLICATION_ID);
	CU_ASSERT_EQUAL(count(db, "PRAGMA foreign_keys"), 1);
	CU_ASSERT_EQUAL(count(db, "SELECT count(*) FROM reasons WHERE code = 'duplicate'"), 1);
	CU_ASSERT_STRING_EQUAL(db->store, path("a-store"));
	wn_db_close(db);
	/* reopening applies nothing and keeps the version */
	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("a.db"), NULL, &db), 0);
	CU_ASSERT_EQUAL(count(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	wn_db_close(db);
	wn_db_close(NULL);
}

static void
test_newer_schema(void)
{
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1 };
	sqlite3 *raw;

	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("new.db"), &o, &db), 0);
	wn_db_close(db);
	db = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path("new.db"), &raw), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(raw, "PRAGMA user_version = 9999", NULL, NULL, NULL), 0);
	sqlite3_close(raw);
	CU_ASSERT_EQUAL(wn_db_open(path("new.db"), NULL, &db), -WN_ESCHEMA);
	CU_ASSERT_PTR_NULL(db);
	o.readonly = 1;
	o.create = 0;
	CU_ASSERT_EQUAL(wn_db_open(path("new.db"), &o, &db), -WN_ESCHEMA);
}

static void
test_foreign_database(void)
{
	struct wn_db *db = NULL;
	sqlite3 *raw;

	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path("other.db"), &raw), SQLITE_OK);
	sqlite3_exec(raw, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(raw);
	CU_ASSERT_EQUAL(wn_db_open(path("other.db"), NULL, &db), -WN_EFORMAT);
	CU_ASSERT_PTR_NULL(db);
	/* not a database at all */
	{
		FILE *f = fopen(path("junk.db"), "w");

		fputs("this is not an SQLite file, just some text that is long enough", f);
		fclose(f);
	}
	CU_ASSERT(wn_db_open(path("junk.db"), NULL, &db) < 0);
}

static void
test_busy(void)
{
	struct wn_db *a = NULL, *b = NULL;
	struct wn_db_opts o = { .create = 1, .busy_timeout_ms = 50 };

	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("busy.db"), &o, &a), 0);
	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("busy.db"), &o, &b), 0);
	CU_ASSERT_EQUAL(wn_db_begin(a), 0);
	CU_ASSERT_EQUAL(wn_db_begin(b), -WN_EBUSY);
	CU_ASSERT_EQUAL(wn_exit_status(-WN_EBUSY), 75);
	CU_ASSERT_EQUAL(wn_db_commit(a), 0);
	CU_ASSERT_EQUAL(wn_db_begin(b), 0);
	wn_db_rollback(b);
	wn_db_close(a);
	wn_db_close(b);
}

static void
test_runs(void)
{
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1 };
	char *argv[] = { "winnow-crawl", "pmc", "--api-key", "SECRET1", "--api-key=SECRET2",
			 "--query", "x", NULL };
	sqlite3_stmt *st;

	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("runs.db"), &o, &db), 0);
	CU_ASSERT_EQUAL(wn_db_run_begin(db, "winnow-crawl", 7, argv), 0);
	CU_ASSERT(db->run_id > 0);
	CU_ASSERT_EQUAL(wn_db_run_end(db, 0, "done: 3 fetched"), 0);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db->sql,
		"SELECT args, status, summary, finished_at IS NOT NULL FROM runs", -1, &st,
		NULL), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_step(st), SQLITE_ROW);
	CU_ASSERT_STRING_EQUAL(sqlite3_column_text(st, 0),
			       "pmc --api-key *** --api-key=*** --query x");
	CU_ASSERT_PTR_NULL(strstr((const char *)sqlite3_column_text(st, 0), "SECRET"));
	CU_ASSERT_EQUAL(sqlite3_column_int(st, 1), 0);
	CU_ASSERT_STRING_EQUAL(sqlite3_column_text(st, 2), "done: 3 fetched");
	CU_ASSERT_EQUAL(sqlite3_column_int(st, 3), 1);
	sqlite3_finalize(st);
	wn_db_close(db);
}

static void
test_curated_view(void)
{
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1 };

	CU_ASSERT_EQUAL_FATAL(wn_db_open(path("view.db"), &o, &db), 0);
	CU_ASSERT_EQUAL(wn_db_exec(db,
		"INSERT INTO documents (id, source, source_id, license) VALUES"
		" (1, 'pmc', 'PMC1.1', 'CC BY'), (2, 'pmc', 'PMC2.1', 'CC0'),"
		" (3, 'mastodon', '109', NULL);"
		"UPDATE documents SET is_retracted = 1 WHERE id = 2;"
		"INSERT INTO images (id, sha256, path, bytes) VALUES"
		" (1, printf('%064d', 1), 'aa/1.jpg', 10), (2, printf('%064d', 2), 'bb/2.png', 20);"
		"INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES"
		" (1, 1, 0, 'c1', 1, 'ok'), (2, 2, 0, 'c2', 2, 'ok'), (3, 3, 0, 'c3', 2, 'ok');"
		"INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption, status, reason, split)"
		" VALUES (1, 1, 0, 0, 5, 5, 'kept one', 'kept', NULL, 'train'),"
		"        (2, 2, 0, 0, 5, 5, 'retracted', 'kept', NULL, 'train'),"
		"        (3, 2, 0, 0, 5, 5, 'dup', 'dropped', 'duplicate', 'val');"), 0);
	CU_ASSERT_EQUAL(count(db, "SELECT count(*) FROM curated_pairs"), 1);
	CU_ASSERT_EQUAL(count(db, "SELECT count(*) FROM curated_pairs WHERE image_path = 'aa/1.jpg'"
			     " AND source = 'pmc' AND source_id = 'PMC1.1' AND license = 'CC BY'"
			     " AND split = 'train' AND caption = 'kept one' AND w = 5"), 1);
	/* a kept pair cannot carry a reason; a drop needs a known reason code */
	CU_ASSERT(wn_db_exec(db, "INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption,"
			     " status, reason) VALUES (1, 1, 1, 1, 1, 1, 'x', 'kept', 'duplicate')") < 0);
	CU_ASSERT(wn_db_exec(db, "UPDATE pairs SET reason = 'no-such-code' WHERE id = 3") < 0);
	/* the same figure cannot be paired twice as a whole image */
	CU_ASSERT(wn_db_exec(db, "INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption,"
			     " status) VALUES (1, 1, 0, 0, 5, 5, 'again', 'kept')") < 0);
	wn_db_close(db);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;
	char cmd[600];

	if (mkdtemp(dir) == NULL)
		return 99;
	wn_log_init("test-db", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("db", NULL, NULL);
	CU_add_test(s, "create and migrate", test_create_and_migrate);
	CU_add_test(s, "newer schema refused", test_newer_schema);
	CU_add_test(s, "foreign database refused", test_foreign_database);
	CU_add_test(s, "busy maps to EX_TEMPFAIL", test_busy);
	CU_add_test(s, "run records mask secrets", test_runs);
	CU_add_test(s, "curated_pairs view", test_curated_view);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (nfail == 0 && strncmp(dir, "/tmp/winnow-test-db.", 20) == 0) {
		FILE *p = popen(cmd, "r");

		if (p)
			pclose(p);
	}
	return nfail ? 1 : 0;
}
