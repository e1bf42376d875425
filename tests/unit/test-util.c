/*
 * test-util: number parsing, buffers, hex, shards, records, digests, JSON.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lib/digest.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/util.h"

static void
test_parse(void)
{
	int64_t v = 42;
	int i = 0;
	double d;

	CU_ASSERT_EQUAL(wn_parse_i64("123", 0, 1000, &v), 0);
	CU_ASSERT_EQUAL(v, 123);
	CU_ASSERT_EQUAL(wn_parse_i64("-5", -10, 10, &v), 0);
	CU_ASSERT_EQUAL(v, -5);
	v = 7;
	CU_ASSERT_EQUAL(wn_parse_i64("12x", 0, 1000, &v), -EINVAL);
	CU_ASSERT_EQUAL(wn_parse_i64("", 0, 1000, &v), -EINVAL);
	CU_ASSERT_EQUAL(wn_parse_i64(" 1", 0, 1000, &v), -EINVAL);
	CU_ASSERT_EQUAL(wn_parse_i64("1001", 0, 1000, &v), -ERANGE);
	CU_ASSERT_EQUAL(wn_parse_i64("99999999999999999999", 0, INT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(wn_parse_i64(NULL, 0, 1, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 7);		/* untouched on failure */
	CU_ASSERT_EQUAL(wn_parse_int("2147483648", 0, 2147483647, &i), -ERANGE);
	CU_ASSERT_EQUAL(wn_parse_double("0.25", 0, 1, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.25, 1e-12);
	CU_ASSERT_EQUAL(wn_parse_double("nan", 0, 1, &d), -EINVAL);
	CU_ASSERT_EQUAL(wn_parse_double("1.5", 0, 1, &d), -ERANGE);
}

static void
test_shard(void)
{
	int k, n;

	CU_ASSERT_EQUAL(wn_parse_shard("3/8", &k, &n), 0);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(wn_parse_shard("8/8", &k, &n), -ERANGE);
	CU_ASSERT_EQUAL(wn_parse_shard("1/0", &k, &n), -ERANGE);
	CU_ASSERT_EQUAL(wn_parse_shard("1", &k, &n), -EINVAL);
	CU_ASSERT_EQUAL(wn_parse_shard("a/2", &k, &n), -EINVAL);
	/* the shard hash is stable across runs and machines (FNV-1a 64) */
	CU_ASSERT_EQUAL(wn_hash64("", 0), 0xcbf29ce484222325ULL);
	CU_ASSERT_EQUAL(wn_hash64("a", 1), 0xaf63dc4c8601ec8cULL);
}

static void
test_buf(void)
{
	struct wn_buf b;
	char *s;
	size_t len;

	wn_buf_init(&b, 10);
	CU_ASSERT_EQUAL(wn_buf_addstr(&b, "hello"), 0);
	CU_ASSERT_EQUAL(wn_buf_printf(&b, "%d", 1234), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "hello1234");
	CU_ASSERT_EQUAL(wn_buf_addstr(&b, "xy"), -WN_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(b.data, "hello1234");
	s = wn_buf_detach(&b, &len);
	CU_ASSERT_EQUAL(len, 9);
	CU_ASSERT_PTR_NULL(b.data);
	free(s);
	wn_buf_init(&b, 0);
	for (int i = 0; i < 10000; i++)
		CU_ASSERT_EQUAL_FATAL(wn_buf_add(&b, "abc", 3), 0);
	CU_ASSERT_EQUAL(b.len, 30000);
	wn_buf_release(&b);
	wn_buf_release(&b);	/* twice is harmless */
}

static void
test_hex_digest(void)
{
	char hex[65];
	uint8_t raw[4];

	CU_ASSERT_EQUAL(wn_sha256_hex("abc", 3, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CU_ASSERT_EQUAL(wn_md5_hex("", 0, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, "d41d8cd98f00b204e9800998ecf8427e");
	CU_ASSERT_EQUAL(wn_unhex("00fFa1", raw, 3), 0);
	CU_ASSERT_EQUAL(raw[1], 0xff);
	CU_ASSERT_EQUAL(wn_unhex("0g", raw, 1), -EINVAL);
	CU_ASSERT_EQUAL(wn_unhex("000", raw, 1), -EINVAL);
	wn_hex(raw, 2, hex);
	CU_ASSERT_STRING_EQUAL(hex, "00ff");
}

static void
test_records(void)
{
	static const char input[] =
		"2\n9\n\n3\tignored field\nabc\n-4\n0\n18446744073709551616\n7\r\n";
	FILE *in = fmemopen((void *)input, sizeof(input) - 1, "r");
	struct wn_rec_reader r;
	int64_t id, got[8];
	const char *rest;
	int n = 0, rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	wn_log_init("test-util", -1);	/* the warnings are expected */
	wn_rec_reader_init(&r, in, "stdin");
	while ((rc = wn_rec_next(&r, &id, &rest)) == 1 && n < 8) {
		got[n] = id;
		if (id == 3)
			CU_ASSERT_STRING_EQUAL(rest, "ignored field");
		n++;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(got[0], 2);
	CU_ASSERT_EQUAL(got[1], 9);
	CU_ASSERT_EQUAL(got[2], 3);
	CU_ASSERT_EQUAL(got[3], 7);
	CU_ASSERT_EQUAL(r.bad, 4);
	CU_ASSERT_EQUAL(r.lineno, 9);
	wn_rec_reader_release(&r);
	fclose(in);
}

static void
test_json(void)
{
	static const char doc[] = "{\"a\": \"x\", \"n\": 5, \"b\": true}";
	char *err = NULL, buf[256] = { 0 };
	json_t *v = wn_json_parse(doc, strlen(doc), 0, NULL), *o;
	FILE *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(wn_json_str(v, "a"), "x");
	CU_ASSERT_PTR_NULL(wn_json_str(v, "n"));
	CU_ASSERT_EQUAL(wn_json_int(v, "n", -1), 5);
	CU_ASSERT_EQUAL(wn_json_int(v, "zz", -1), -1);
	CU_ASSERT_EQUAL(wn_json_bool(v, "b", 0), 1);
	json_decref(v);
	CU_ASSERT_PTR_NULL(wn_json_parse("{\"a\":", 5, 0, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	CU_ASSERT_PTR_NULL(wn_json_parse(doc, strlen(doc), 10, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "limit"));
	free(err);
	/* duplicate keys are refused: they hide data */
	CU_ASSERT_PTR_NULL(wn_json_parse("{\"a\":1,\"a\":2}", 13, 0, NULL));
	out = fmemopen(buf, sizeof(buf), "w");
	o = json_pack("{s:s, s:i}", "path", "µm/ä\t.png", "z", 1);
	CU_ASSERT_EQUAL(wn_json_write_line(out, o), 0);
	fclose(out);
	CU_ASSERT_STRING_EQUAL(buf, "{\"path\":\"µm/ä\\t.png\",\"z\":1}\n");
	json_decref(o);
}

static void
test_errors(void)
{
	CU_ASSERT_EQUAL(wn_exit_status(0), 0);
	CU_ASSERT_EQUAL(wn_exit_status(-WN_EBUSY), 75);
	CU_ASSERT_EQUAL(wn_exit_status(-WN_ESCHEMA), 78);
	CU_ASSERT_EQUAL(wn_exit_status(-ENOENT), 66);
	CU_ASSERT_EQUAL(wn_exit_status(-ENOMEM), 71);
	CU_ASSERT_EQUAL(wn_exit_status(-WN_ECORRUPT), 65);
	CU_ASSERT_STRING_EQUAL(wn_strerror(-WN_ETOOBIG), "exceeds the size limit");
	CU_ASSERT_STRING_EQUAL(wn_strerror(-ENOENT), "No such file or directory");
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("util", NULL, NULL);
	CU_add_test(s, "number parsing", test_parse);
	CU_add_test(s, "shards", test_shard);
	CU_add_test(s, "buffers", test_buf);
	CU_add_test(s, "hex and digests", test_hex_digest);
	CU_add_test(s, "work-list records", test_records);
	CU_add_test(s, "json", test_json);
	CU_add_test(s, "error codes", test_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
