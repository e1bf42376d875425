/*
 * jats.h: reading JATS articles (PMC nxml, the 2025+ PMC flavour, eLife, Europe
 * PMC fullTextXML, efetch pmc-articleset replies) into document metadata and
 * figures with flattened captions.
 */
#ifndef CRAWL_JATS_H
#define CRAWL_JATS_H

#include <stddef.h>
#include <stdint.h>

#define CRAWL_JATS_MAX_BYTES	((size_t)64 * 1024 * 1024)
#define CRAWL_JATS_MAX_FIGS	2000
#define CRAWL_CAPTION_MAX	(64 * 1024)	/* characters kept of one caption */

struct crawl_fig {
	char *fig_id;		/* owned: fig/@id, may be NULL */
	char *group_id;		/* owned: enclosing fig-group or parent fig id */
	char *label;		/* owned: flattened <label>, may be NULL */
	char *caption;		/* owned: title + paragraphs, flattened, never NULL */
	char *href;		/* owned: chosen graphic's xlink:href, may be NULL */
	char *cdn_path;		/* owned: <?cloudpmc-path?> of that graphic */
	int is_thumbnail;	/* the chosen graphic is a thumbnail */
	int in_subarticle;	/* inside <sub-article> (decision letter...) */
};

struct crawl_article {
	char *pmcid;		/* owned: "PMC3460867" or NULL */
	int version;		/* from pmcid-ver / article-version; 0 if unknown */
	char *pmid;		/* owned */
	char *doi;		/* owned */
	char *title;		/* owned: flattened */
	char *journal;		/* owned */
	char *published_at;	/* owned: "YYYY-MM-DD", "YYYY-MM" or "YYYY" */
	char *license;		/* owned: normalised code ("CC BY"...), or "other" */
	char *license_url;	/* owned */
	int is_retracted;
	int has_body;		/* 0: publisher withholds the full text */
	struct crawl_fig *figs;	/* owned: nfigs entries */
	size_t nfigs;
};

/*
 * Parse one article (the first <article> of a document, or of a
 * <pmc-articleset>).  No network, no DTD, no entity expansion, at most
 * CRAWL_JATS_MAX_BYTES.  Errors: -WN_EFORMAT (not well-formed, no article;
 * *ret_err gets "line L: message"), -WN_EREMOTE (an efetch <Reply error=> or
 * <error> or <ERROR>; *ret_err gets the service's text), -WN_ETOOBIG, -ENOMEM.
 * ret_err is optional; the caller frees it.
 */
int crawl_jats_parse(const char *data, size_t len, struct crawl_article *ret_art,
		     char **ret_err)
	__attribute__((warn_unused_result));
void crawl_article_release(struct crawl_article *a);

/* Map a licence URL or code or text to a code: "CC BY", "CC BY-NC-ND", "CC0",
   "public domain"; NULL if nothing recognisable. */
const char *crawl_license_code(const char *s);

/* Collapse whitespace runs to one space and trim, in place; returns s. */
char *crawl_collapse_ws(char *s);

/* "PMC123", "123", "pmc123.2" -> "PMC123" into out (>= 24 bytes) and the version
   (0 if none).  Returns 0 or -EINVAL. */
int crawl_pmcid_norm(const char *s, char *out, size_t outsz, int *ret_version);

/*
 * Read PMC ids one per line from path ("-": standard input); blank lines and
 * '#' comments are skipped, other lines that are not PMC ids are warned about
 * and counted in *rejected.  fn gets each id normalised; it returns < 0 to
 * fail, > 0 to stop reading, 0 for more.  Returns 0 or the error.
 */
typedef int (*crawl_id_fn)(void *ud, const char *pmcid);
int crawl_read_ids(const char *path, crawl_id_fn fn, void *ud,
		   int64_t *rejected)
	__attribute__((warn_unused_result));

#endif
