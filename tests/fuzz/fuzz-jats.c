/*
 * fuzz-jats.c: the JATS reader (metadata, figures, caption flattening) on
 * arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/jats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crawl_article a = { 0 };
	char *err = NULL;
	size_t i;

	if (crawl_jats_parse((const char *)data, size, &a, &err) == 0) {
		for (i = 0; i < a.nfigs; i++) {
			/* every caption is a string without control whitespace runs */
			if (a.figs[i].caption == NULL ||
			    strstr(a.figs[i].caption, "  ") != NULL)
				abort();
		}
		crawl_article_release(&a);
	}
	free(err);
	return 0;
}
