/*
 * fuzz-jats.c: the JATS reader (metadata, figures, caption flattening) on
 * arbitrary bytes, and on the article inside a legacy OA package when the bytes
 * are a gzip stream (the package reader refuses hostile archives).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/jats.h"
#include "crawl/oapkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crawl_article a = { 0 };
	struct crawl_oapkg p = { 0 };
	char *err = NULL;
	size_t i;

	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (crawl_oapkg_read(data, size, &p, &err) == 0) {
			for (i = 0; i < p.nfiles; i++)
				if (strstr(p.files[i].path, "..") != NULL || p.files[i].path[0] == '/')
					abort();
			if (p.nxml != NULL &&
			    crawl_jats_parse((const char *)p.nxml->data, p.nxml->len, &a, NULL) == 0)
				crawl_article_release(&a);
			crawl_oapkg_release(&p);
		}
		free(err);
		return 0;
	}
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
