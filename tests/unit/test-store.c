/*
 * test-store.c: the content-addressed store: paths, atomic writes, one images
 * row per distinct content, leftovers of killed writers, the store lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "lib/db.h"
#include "lib/digest.h"
#include "lib/store.h"
#include "lib/util.h"

static char dir[] = "/tmp/wn-store-XXXXXX";
static char store[256];

/* A real 1x1 PNG. */
static const unsigned char png[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
	0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00,
	0x0a, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0x60, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x01, 0xe2, 0x21, 0xbc, 0x33, 0x00, 0x00, 0x00, 0x00, 0x49,
	0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};

static int
count_files(const char *path)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f ! -name .lock | wc -l", path);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void
test_write(void)
{
	struct wn_stored s, s2;
	char path[600], want[65], *data = NULL;
	size_t len;

	CU_ASSERT_FATAL(wn_store_write(store, png, sizeof(png), "png", &s) == 0);
	CU_ASSERT_FATAL(wn_sha256_hex(png, sizeof(png), want) == 0);
	CU_ASSERT(strcmp(s.sha256, want) == 0);
	CU_ASSERT(strncmp(s.rel, want, 2) == 0 && s.rel[2] == '/');
	CU_ASSERT(strcmp(s.rel + 3 + 64, ".png") == 0);
	CU_ASSERT(s.bytes == (int64_t)sizeof(png));
	CU_ASSERT(s.format != NULL && strcmp(s.format, "png") == 0);
	CU_ASSERT(s.width == 1 && s.height == 1);
	CU_ASSERT_FATAL(wn_store_path(store, s.rel, path, sizeof(path)) == 0);
	CU_ASSERT_FATAL(wn_read_file(path, 1 << 20, &data, &len) == 0);
	CU_ASSERT(len == sizeof(png) && memcmp(data, png, len) == 0);
	free(data);
	/* the same bytes again: same file, nothing new */
	CU_ASSERT(wn_store_write(store, png, sizeof(png), "jpg", &s2) == 0);
	CU_ASSERT(strcmp(s.rel, s2.rel) == 0);
	CU_ASSERT(count_files(store) == 1);

	/* not an image: the hint names the extension */
	CU_ASSERT(wn_store_write(store, "plain", 5, "tif", &s2) == 0);
	CU_ASSERT(strcmp(s2.rel + strlen(s2.rel) - 4, ".tif") == 0);
	CU_ASSERT(s2.format == NULL && s2.width == 0);
	CU_ASSERT(wn_store_write(store, "plain2", 6, "../x", &s2) == 0);
	CU_ASSERT(strcmp(s2.rel + strlen(s2.rel) - 4, ".bin") == 0);
	CU_ASSERT(count_files(store) == 3);
}

static void
test_rows(void)
{
	char path[300];
	struct wn_db *db = NULL;
	struct wn_db_opts o = { .create = 1, .store = store };
	struct wn_stored s;
	int64_t id1 = 0, id2 = 0;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/w.db", dir);
	CU_ASSERT_FATAL(wn_db_open(path, &o, &db) == 0);
	CU_ASSERT(strcmp(db->store, store) == 0);
	CU_ASSERT_FATAL(wn_store_write(db->store, png, sizeof(png), NULL, &s) == 0);
	CU_ASSERT(wn_store_add_row(db, &s, &id1) == 0);
	CU_ASSERT(wn_store_add_row(db, &s, &id2) == 0);
	CU_ASSERT(id1 > 0 && id1 == id2);
	CU_ASSERT(sqlite3_prepare_v2(db->sql, "SELECT count(*), path, bytes, format, width"
				     " FROM images", -1, &st, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(st) == SQLITE_ROW);
	CU_ASSERT(sqlite3_column_int(st, 0) == 1);
	CU_ASSERT(strcmp((const char *)sqlite3_column_text(st, 1), s.rel) == 0);
	CU_ASSERT(sqlite3_column_int(st, 2) == (int)sizeof(png));
	CU_ASSERT(strcmp((const char *)sqlite3_column_text(st, 3), "png") == 0);
	CU_ASSERT(sqlite3_column_int(st, 4) == 1);
	sqlite3_finalize(st);
	wn_db_close(db);
}

static void
test_tmp_and_lock(void)
{
	char path[600];
	int fd, fd1 = -1, fd2 = -1;

	snprintf(path, sizeof(path), "%s/.tmp/deadbeef.AbCdEf", store);
	fd = open(path, O_WRONLY | O_CREAT, 0644);	/* a killed writer's leftover */
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "part", 4) == 4);
	close(fd);
	CU_ASSERT(wn_store_clean_tmp(store) == 1);
	CU_ASSERT(access(path, F_OK) != 0);
	CU_ASSERT(wn_store_lock(store, &fd1) == 0);
	CU_ASSERT(wn_store_lock(store, &fd2) == -EWOULDBLOCK);
	wn_store_unlock(fd1);
	CU_ASSERT(wn_store_lock(store, &fd2) == 0);
	wn_store_unlock(fd2);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(store, sizeof(store), "%s/store", dir);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("store", NULL, NULL);
	CU_add_test(s, "write", test_write);
	CU_add_test(s, "images rows", test_rows);
	CU_add_test(s, "leftovers and lock", test_tmp_and_lock);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		nfail++;
	return nfail ? 1 : 0;
}
