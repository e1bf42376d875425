/*
 * fuzz-eutils.c: the E-utilities esearch reader and <ERROR> detection.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/eutils.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crawl_esearch e = { 0 };
	char *err = NULL, *t;
	size_t i;

	if (crawl_esearch_parse((const char *)data, size, &e, &err) == 0) {
		for (i = 0; i < e.nids; i++)
			if (e.ids[i] == NULL || strspn(e.ids[i], "0123456789") != strlen(e.ids[i]))
				abort();
		crawl_esearch_release(&e);
	}
	free(err);
	t = crawl_eutils_error((const char *)data, size);
	free(t);
	return 0;
}
