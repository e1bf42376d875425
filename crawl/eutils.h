/*
 * eutils.h: NCBI E-utilities replies (esearch XML) and request URLs.
 */
#ifndef CRAWL_EUTILS_H
#define CRAWL_EUTILS_H

#include <stddef.h>
#include <stdint.h>

#define CRAWL_EUTILS_MAX_REPLY	((size_t)32 * 1024 * 1024)
#define CRAWL_EUTILS_MAX_IDS	100000

struct crawl_esearch {
	int64_t count;
	int64_t retmax;
	int64_t retstart;
	char *query_key;	/* owned, NULL without usehistory */
	char *webenv;		/* owned */
	char **ids;		/* owned: numeric ids as text */
	size_t nids;
	int not_found;		/* ErrorList/PhraseNotFound or "No items found" */
	char *translation;	/* owned: QueryTranslation */
};

/*
 * Parse an esearch reply.  -WN_EREMOTE when it carries <ERROR> (*ret_err gets
 * the text), -WN_EFORMAT when it is not an eSearchResult, -ENOMEM.
 */
int crawl_esearch_parse(const char *data, size_t len, struct crawl_esearch *ret,
			char **ret_err)
	__attribute__((warn_unused_result));
void crawl_esearch_release(struct crawl_esearch *e);

/* Any E-utilities reply: the text of its first <ERROR> (owned) or NULL. */
char *crawl_eutils_error(const char *data, size_t len);

#endif
