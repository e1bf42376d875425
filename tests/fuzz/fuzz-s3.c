/*
 * fuzz-s3.c: the S3 ListObjectsV2 and error readers, and s3:// URL parsing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/pmc.h"
#include "crawl/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crawl_s3_list l = { 0 };
	char *err = NULL, *t, *key = NULL, md5[33], *s;

	if (crawl_s3_list_parse((const char *)data, size, &l, &err) == 0)
		crawl_s3_list_release(&l);
	free(err);
	t = crawl_s3_error((const char *)data, size);
	free(t);
	s = strndup((const char *)data, size);
	if (s != NULL && pmc_parse_s3_url(s, &key, md5) == 0) {
		if (strstr(key, "..") != NULL || (md5[0] != '\0' && strlen(md5) != 32))
			abort();
		free(key);
	}
	free(s);
	return 0;
}
