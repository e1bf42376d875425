/*
 * jats.c: JATS article reader on libxml2's tree API.
 *
 * Safety: the document is parsed from memory with XML_PARSE_NONET and without
 * XML_PARSE_NOENT / XML_PARSE_DTDLOAD / XML_PARSE_DTDATTR, so no external entity
 * or DTD is fetched and entity references stay unexpanded (the flattener skips
 * them).  libxml2's own amplification limits stay on (no XML_PARSE_HUGE).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "crawl/jats.h"
#include "crawl/xmlutil.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define XLINK_NS	"http://www.w3.org/1999/xlink"
#define MAX_DEPTH	256

static int
attr_is(const xmlNode *n, const char *name, const char *value)
{
	char *v = crawl_xml_attr(n, name);
	int r = v != NULL && strcasecmp(v, value) == 0;

	free(v);
	return r;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of the whitespace character at s (ASCII or Unicode space), 0 if none. */
static size_t
ws_len(const unsigned char *s)
{
	if (is_ws(s[0]))
		return 1;
	if (s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0x85))
		return 2;	/* NO-BREAK SPACE, NEXT LINE */
	if (s[0] == 0xE2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 ||
	     s[2] == 0xAF))
		return 3;	/* EN QUAD..HAIR SPACE, LS, PS, NNBSP */
	if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
		return 3;	/* MEDIUM MATHEMATICAL SPACE */
	if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;	/* IDEOGRAPHIC SPACE */
	return 0;
}

char *
crawl_collapse_ws(char *s)
{
	unsigned char *r, *w;
	int space = 0;
	size_t n;

	if (s == NULL)
		return NULL;
	r = w = (unsigned char *)s;
	while (*r != '\0' && (n = ws_len(r)) > 0)
		r += n;
	while (*r != '\0') {
		if (r[0] == 0xEF && r[1] == 0xBB && r[2] == 0xBF) {
			r += 3;	/* ZERO WIDTH NO-BREAK SPACE: no text at all */
			continue;
		}
		if ((n = ws_len(r)) > 0) {
			space = 1;
			r += n;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

static int
is_block(const xmlNode *n)
{
	static const char *const blocks[] = {
		"p", "title", "list", "list-item", "def-list", "def-item", "def",
		"term", "disp-quote", "disp-formula", "table-wrap", "sec", "label",
		"caption", "statement", "boxed-text", "attrib", "array", "tr", "td",
		"th", "license-p", NULL
	};
	int i;

	for (i = 0; blocks[i] != NULL; i++)
		if (crawl_xml_is(n, blocks[i]))
			return 1;
	return 0;
}

/* eLife's "DOI: <ext-link ext-link-type=doi>" paragraph inside captions. */
static int
is_doi_para(const xmlNode *p)
{
	const xmlNode *c;
	int doi = 0;

	for (c = p->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (crawl_xml_is(c, "ext-link") && attr_is(c, "ext-link-type", "doi"))
				doi = 1;
			else if (!crawl_xml_is(c, "bold"))
				return 0;
		}
	}
	return doi;
}

/* Elements whose text is not part of a caption: identifiers, the attached
   source-data files, eLife's DOI line. */
static int
is_skipped(const xmlNode *n)
{
	return crawl_xml_is(n, "object-id") || crawl_xml_is(n, "supplementary-material") ||
	       (crawl_xml_is(n, "p") && is_doi_para(n));
}

/* Append the text of n's subtree; blocks are separated by a space. */
static int
flatten_into(const xmlNode *n, struct wn_buf *b, int depth)
{
	const xmlNode *c;
	int rc;

	if (depth > MAX_DEPTH)
		return -WN_ETOOBIG;
	for (c = n->children; c != NULL; c = c->next) {
		switch (c->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (c->content != NULL) {
				rc = wn_buf_addstr(b, (const char *)c->content);
				if (rc == -WN_ETOOBIG)
					return 0;	/* cap reached: keep what we have */
				if (rc < 0)
					return rc;
			}
			break;
		case XML_ELEMENT_NODE: {
			int blk = is_block(c);

			if (is_skipped(c))
				break;
			if (blk && (rc = wn_buf_addstr(b, " ")) < 0)
				return rc == -WN_ETOOBIG ? 0 : rc;
			if ((rc = flatten_into(c, b, depth + 1)) < 0)
				return rc;
			if (blk && (rc = wn_buf_addstr(b, " ")) < 0)
				return rc == -WN_ETOOBIG ? 0 : rc;
			break;
		}
		default:	/* entity references, comments, PIs: no text */
			break;
		}
	}
	return 0;
}

/* Cut at a UTF-8 character boundary at most max bytes long. */
static void
utf8_truncate(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

/* Flattened, collapsed text of a node (owned), or NULL on OOM / no node. */
static char *
flatten(const xmlNode *n, size_t cap)
{
	struct wn_buf b;
	char *s;

	if (n == NULL)
		return NULL;
	wn_buf_init(&b, cap + 4096);
	if (flatten_into(n, &b, 0) < 0 || wn_buf_addstr(&b, "") < 0) {
		wn_buf_release(&b);
		return NULL;
	}
	s = wn_buf_detach(&b, NULL);
	if (s == NULL)
		s = strdup("");
	if (s == NULL)
		return NULL;
	crawl_collapse_ws(s);
	utf8_truncate(s, cap);
	return s;
}

/* ---- licences ---------------------------------------------------------- */

static const char *
cc_code(int nc, int nd, int sa)
{
	if (nc && nd)
		return "CC BY-NC-ND";
	if (nc && sa)
		return "CC BY-NC-SA";
	if (nc)
		return "CC BY-NC";
	if (nd)
		return "CC BY-ND";
	if (sa)
		return "CC BY-SA";
	return "CC BY";
}

/* Lower-cased copy with '_' and whitespace runs turned into single spaces. */
static char *
lower_dup(const char *s)
{
	char *d = strdup(s), *p;

	if (d == NULL)
		return NULL;
	for (p = d; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (*p == '_')
			*p = ' ';
	}
	return crawl_collapse_ws(d);
}

const char *
crawl_license_code(const char *s)
{
	const char *code = NULL, *p;
	char *l;

	if (s == NULL || *s == '\0')
		return NULL;
	l = lower_dup(s);
	if (l == NULL)
		return NULL;
	if (strstr(l, "publicdomain/zero") != NULL || strstr(l, "cc0") != NULL ||
	    strstr(l, "cc zero") != NULL) {
		code = "CC0";
	} else if ((p = strstr(l, "creativecommons.org/licenses/")) != NULL) {
		char seg[32];
		size_t i = 0;

		p += strlen("creativecommons.org/licenses/");
		while (p[i] != '\0' && p[i] != '/' && p[i] != '?' && i + 1 < sizeof(seg)) {
			seg[i] = p[i];
			i++;
		}
		seg[i] = '\0';
		if (strncmp(seg, "by", 2) == 0)
			code = cc_code(strstr(seg, "nc") != NULL, strstr(seg, "nd") != NULL,
				       strstr(seg, "sa") != NULL);
	} else if (strstr(l, "publicdomain/mark") != NULL ||
		   strstr(l, "public domain") != NULL || strcmp(l, "public-domain") == 0) {
		code = "public domain";
	} else if (strncmp(l, "cc by", 5) == 0 || strncmp(l, "cc-by", 5) == 0) {
		/* codes: "CC BY", "CC BY-NC-ND", "cc-by-nc", "cc_by-sa" */
		code = cc_code(strstr(l + 5, "nc") != NULL, strstr(l + 5, "nd") != NULL,
			       strstr(l + 5, "sa") != NULL);
	} else if ((p = strstr(l, "creative commons attribution")) != NULL) {
		p += strlen("creative commons attribution");
		/* the licence's own name follows, up to the end of its sentence */
		{
			char name[160];
			size_t i = 0;

			while (p[i] != '\0' && p[i] != '.' && p[i] != ',' &&
			       i + 1 < sizeof(name)) {
				name[i] = p[i];
				i++;
			}
			name[i] = '\0';
			code = cc_code(strstr(name, "noncommercial") != NULL ||
					       strstr(name, "non-commercial") != NULL ||
					       strstr(name, "non commercial") != NULL,
				       strstr(name, "noderiv") != NULL ||
					       strstr(name, "no deriv") != NULL ||
					       strstr(name, "no-deriv") != NULL,
				       strstr(name, "sharealike") != NULL ||
					       strstr(name, "share alike") != NULL ||
					       strstr(name, "share-alike") != NULL);
		}
	}
	free(l);
	return code;
}

/* Find the first ext-link inside n pointing to creativecommons.org. */
static char *
find_cc_link(const xmlNode *n, int depth)
{
	const xmlNode *c;

	if (depth > MAX_DEPTH)
		return NULL;
	for (c = n->children; c != NULL; c = c->next) {
		char *h, *r;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (crawl_xml_is(c, "ext-link") || crawl_xml_is(c, "uri")) {
			h = crawl_xml_attr(c, "href");
			if (h == NULL)
				h = flatten(c, 2048);
			if (h != NULL && strstr(h, "creativecommons.org") != NULL)
				return h;
			free(h);
		}
		if ((r = find_cc_link(c, depth + 1)) != NULL)
			return r;
	}
	return NULL;
}

static int
set_str(char **dst, char *src)
{
	free(*dst);
	*dst = src;
	return 0;
}

static int
read_license(const xmlNode *perm, struct crawl_article *a)
{
	const xmlNode *lic, *c;
	const char *code = NULL;
	char *url = NULL;
	int any = 0;

	for (lic = perm->children; lic != NULL && code == NULL; lic = lic->next) {
		char *t;

		if (!crawl_xml_is(lic, "license"))
			continue;
		any = 1;
		/* 1. ali:license_ref */
		for (c = lic->children; c != NULL && code == NULL; c = c->next) {
			if (!crawl_xml_is(c, "license_ref"))
				continue;
			t = flatten(c, 2048);
			if (t != NULL && (code = crawl_license_code(t)) != NULL)
				set_str(&url, t);
			else
				free(t);
		}
		/* 2. license/@xlink:href */
		if (code == NULL && (t = crawl_xml_attr(lic, "href")) != NULL) {
			if ((code = crawl_license_code(t)) != NULL)
				set_str(&url, t);
			else
				free(t);
		}
		/* 3. an ext-link to creativecommons.org in license-p */
		if (code == NULL && (t = find_cc_link(lic, 0)) != NULL) {
			if ((code = crawl_license_code(t)) != NULL)
				set_str(&url, t);
			else
				free(t);
		}
		/* 4. the licence's name in the text */
		if (code == NULL && (t = flatten(lic, 16384)) != NULL) {
			code = crawl_license_code(t);
			free(t);
		}
		/* 5. license-type="public-domain" */
		if (code == NULL && attr_is(lic, "license-type", "public-domain"))
			code = "public domain";
	}
	if (!any) {
		free(url);
		return 0;
	}
	free(a->license);
	a->license = strdup(code != NULL ? code : "other");
	free(a->license_url);
	a->license_url = url;
	return a->license == NULL ? -ENOMEM : 0;
}

/* ---- identifiers ------------------------------------------------------- */

int
crawl_read_ids(const char *path, crawl_id_fn fn, void *ud, int64_t *rejected)
{
	int in = strcmp(path, "-") == 0;
	FILE *f = in ? stdin : fopen(path, "r");
	const char *name = in ? "stdin" : path;
	char *line = NULL;
	size_t cap = 0;
	int64_t lineno = 0;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		wn_error("cannot open '%s': %s", path, wn_strerror(rc));
		return rc;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char id[24];

		lineno++;
		crawl_collapse_ws(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (crawl_pmcid_norm(line, id, sizeof(id), NULL) < 0) {
			wn_warn("%s:%lld: not a PMC id: '%.40s', skipping", name,
				(long long)lineno, line);
			(*rejected)++;
			continue;
		}
		rc = fn(ud, id);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	free(line);
	if (!in)
		fclose(f);
	return rc < 0 ? rc : 0;
}

int
crawl_pmcid_norm(const char *s, char *out, size_t outsz, int *ret_version)
{
	const char *p = s, *end;
	size_t nd = 0, nv = 0;
	int version = 0, i;

	if (s == NULL)
		return -EINVAL;
	while (is_ws((unsigned char)*p))
		p++;
	if (strncasecmp(p, "PMC", 3) == 0)
		p += 3;
	while (isdigit((unsigned char)p[nd]))
		nd++;
	if (nd == 0 || nd > 12 || p[0] == '0')
		return -EINVAL;
	end = p + nd;
	if (*end == '.') {
		end++;
		while (isdigit((unsigned char)end[nv]))
			nv++;
		if (nv == 0 || nv > 4)
			return -EINVAL;
		for (i = 0; i < (int)nv; i++)
			version = version * 10 + (end[i] - '0');
		if (version <= 0)
			return -EINVAL;
		end += nv;
	}
	while (is_ws((unsigned char)*end))
		end++;
	if (*end != '\0' || outsz < nd + 4)
		return -EINVAL;
	memcpy(out, "PMC", 3);
	memcpy(out + 3, p, nd);
	out[3 + nd] = '\0';
	if (ret_version != NULL)
		*ret_version = version;
	return 0;
}

static int
read_ids(const xmlNode *meta, struct crawl_article *a)
{
	const xmlNode *c;

	for (c = meta->children; c != NULL; c = c->next) {
		char *type, *val;
		char id[24];
		int ver = 0;

		if (crawl_xml_is(c, "article-version")) {
			if (attr_is(c, "article-version-type", "pmc-version")) {
				char *t = flatten(c, 64);
				int v;

				if (t != NULL && wn_parse_int(t, 1, 9999, &v) == 0)
					a->version = v;
				free(t);
			}
			continue;
		}
		if (!crawl_xml_is(c, "article-id"))
			continue;
		type = crawl_xml_attr(c, "pub-id-type");
		val = flatten(c, 1024);
		if (type == NULL || val == NULL || *val == '\0') {
			free(type);
			free(val);
			continue;
		}
		if ((strcmp(type, "pmc") == 0 || strcmp(type, "pmcid") == 0) &&
		    a->pmcid == NULL &&
		    crawl_pmcid_norm(val, id, sizeof(id), NULL) == 0) {
			a->pmcid = strdup(id);
		} else if (strcmp(type, "pmcid-ver") == 0 &&
			   crawl_pmcid_norm(val, id, sizeof(id), &ver) == 0) {
			if (a->pmcid == NULL)
				a->pmcid = strdup(id);
			if (ver > 0)
				a->version = ver;
		} else if (strcmp(type, "pmid") == 0 && a->pmid == NULL) {
			a->pmid = val;
			val = NULL;
		} else if (strcmp(type, "doi") == 0 && a->doi == NULL) {
			a->doi = val;
			val = NULL;
		}
		free(type);
		free(val);
	}
	return 0;
}

/* ---- dates ------------------------------------------------------------- */

static int
date_rank(const xmlNode *d)
{
	char *pt = crawl_xml_attr(d, "pub-type"), *dt = crawl_xml_attr(d, "date-type");
	char *pf = crawl_xml_attr(d, "publication-format");
	int r;

	if ((pt != NULL && strcmp(pt, "epub") == 0) ||
	    (pf != NULL && strcmp(pf, "electronic") == 0))
		r = 5;
	else if (pt == NULL && dt == NULL && pf == NULL)
		r = 4;
	else if ((pt != NULL && strcmp(pt, "ppub") == 0) ||
		 (pf != NULL && strcmp(pf, "print") == 0))
		r = 3;
	else if ((pt != NULL && strcmp(pt, "collection") == 0) ||
		 (dt != NULL && strcmp(dt, "collection") == 0))
		r = 2;
	else
		r = 1;
	free(pt);
	free(dt);
	free(pf);
	return r;
}

static int
date_part(const xmlNode *d, const char *name, int min, int max)
{
	char *t = flatten(crawl_xml_child(d, name), 32);
	int v = 0;

	if (t == NULL || wn_parse_int(t, min, max, &v) < 0)
		v = 0;
	free(t);
	return v;
}

static char *
format_date(const xmlNode *d)
{
	char buf[16];
	int y, m, day;
	char *iso = crawl_xml_attr(d, "iso-8601-date");

	y = date_part(d, "year", 1000, 9999);
	if (y == 0 && iso != NULL && strlen(iso) >= 4 && iso[4] != '\0' &&
	    strlen(iso) < sizeof(buf)) {
		/* only the iso attribute */
		memcpy(buf, iso, strlen(iso) + 1);
		free(iso);
		return strdup(buf);
	}
	free(iso);
	if (y == 0)
		return NULL;
	m = date_part(d, "month", 1, 12);
	day = m != 0 ? date_part(d, "day", 1, 31) : 0;
	if (day != 0)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, day);
	else if (m != 0)
		snprintf(buf, sizeof(buf), "%04d-%02d", y, m);
	else
		snprintf(buf, sizeof(buf), "%04d", y);
	return strdup(buf);
}

static void
read_dates(const xmlNode *meta, struct crawl_article *a)
{
	const xmlNode *c, *best = NULL;
	int best_rank = 0;

	for (c = meta->children; c != NULL; c = c->next) {
		int r;

		if (!crawl_xml_is(c, "pub-date"))
			continue;
		r = date_rank(c);
		if (r > best_rank && date_part(c, "year", 1000, 9999) != 0) {
			best = c;
			best_rank = r;
		}
	}
	if (best != NULL)
		a->published_at = format_date(best);
}

static void
read_retraction(const xmlNode *meta, struct crawl_article *a)
{
	const xmlNode *g, *c;

	for (g = meta->children; g != NULL; g = g->next) {
		if (!crawl_xml_is(g, "custom-meta-group"))
			continue;
		for (c = g->children; c != NULL; c = c->next) {
			char *n, *v;

			if (!crawl_xml_is(c, "custom-meta"))
				continue;
			n = flatten(crawl_xml_child(c, "meta-name"), 128);
			v = flatten(crawl_xml_child(c, "meta-value"), 128);
			if (n != NULL && v != NULL && strcasecmp(n, "is-retracted") == 0 &&
			    (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
			     strcmp(v, "1") == 0))
				a->is_retracted = 1;
			free(n);
			free(v);
		}
	}
}

/* ---- figures ----------------------------------------------------------- */

static int
ext_rank(const char *href)
{
	const char *dot = strrchr(href, '.'), *slash = strrchr(href, '/');

	if (dot == NULL || (slash != NULL && dot < slash) || strlen(dot) > 6)
		return 2;	/* old nxml: no extension */
	dot++;
	if (strcasecmp(dot, "jpg") == 0 || strcasecmp(dot, "jpeg") == 0 ||
	    strcasecmp(dot, "png") == 0 || strcasecmp(dot, "webp") == 0)
		return 4;
	if (strcasecmp(dot, "gif") == 0)
		return 3;
	if (strcasecmp(dot, "tif") == 0 || strcasecmp(dot, "tiff") == 0)
		return 1;
	return 2;	/* "pone.0046493.g001": a dot, but not an image extension */
}

struct graphic_pick {
	const xmlNode *node;
	int rank;
	int thumb;
};

/* Graphics of this fig, not those of nested figs. */
static void
pick_graphic(const xmlNode *n, struct graphic_pick *best, int depth)
{
	const xmlNode *c;

	if (depth > MAX_DEPTH)
		return;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || crawl_xml_is(c, "fig") ||
		    crawl_xml_is(c, "fig-group") || crawl_xml_is(c, "caption"))
			continue;
		if (crawl_xml_is(c, "graphic")) {
			char *href = crawl_xml_attr(c, "href"), *ct = crawl_xml_attr(c, "content-type");
			int thumb = ct != NULL && (strcasecmp(ct, "thumb") == 0 ||
						   strcasecmp(ct, "thumbnail") == 0);
			int rank;

			if (href != NULL && *href != '\0') {
				rank = thumb ? 0 : ext_rank(href) +
					(ct != NULL && strcasecmp(ct, "image") == 0 ? 10 : 0);
				if (best->node == NULL || rank > best->rank) {
					best->node = c;
					best->rank = rank;
					best->thumb = thumb;
				}
			}
			free(href);
			free(ct);
			continue;
		}
		if (crawl_xml_is(c, "alternatives"))
			pick_graphic(c, best, depth + 1);
	}
}

static char *
pi_value(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_PI_NODE && strcmp((const char *)c->name, name) == 0 &&
		    c->content != NULL) {
			char *s = strdup((const char *)c->content);

			return s != NULL ? crawl_collapse_ws(s) : NULL;
		}
	}
	return NULL;
}

static void
fig_release(struct crawl_fig *f)
{
	free(f->fig_id);
	free(f->group_id);
	free(f->label);
	free(f->caption);
	free(f->href);
	free(f->cdn_path);
	memset(f, 0, sizeof(*f));
}

static int
add_fig(struct crawl_article *a, const xmlNode *fig, const char *group, int in_sub)
{
	struct crawl_fig f = { 0 }, *nf;
	struct graphic_pick gp = { 0 };
	const xmlNode *cap;
	size_t n;

	if (a->nfigs >= CRAWL_JATS_MAX_FIGS)
		return -WN_ETOOBIG;
	f.fig_id = crawl_xml_attr(fig, "id");
	f.group_id = group != NULL ? strdup(group) : NULL;
	f.in_subarticle = in_sub;
	if (crawl_xml_child(fig, "label") != NULL) {
		f.label = flatten(crawl_xml_child(fig, "label"), 512);
		if (f.label != NULL && (n = strlen(f.label)) > 0 &&
		    (f.label[n - 1] == '.' || f.label[n - 1] == ':'))
			f.label[n - 1] = '\0';
		if (f.label != NULL)
			crawl_collapse_ws(f.label);
	}
	cap = crawl_xml_child(fig, "caption");
	f.caption = cap != NULL ? flatten(cap, CRAWL_CAPTION_MAX) : strdup("");
	if (f.caption == NULL)
		goto oom;
	pick_graphic(fig, &gp, 0);
	if (gp.node != NULL) {
		f.href = crawl_xml_attr(gp.node, "href");
		if (f.href != NULL)
			crawl_collapse_ws(f.href);
		f.cdn_path = pi_value(gp.node, "cloudpmc-path");
		f.is_thumbnail = gp.thumb;
	}
	nf = realloc(a->figs, (a->nfigs + 1) * sizeof(*nf));
	if (nf == NULL)
		goto oom;
	a->figs = nf;
	a->figs[a->nfigs++] = f;
	return 0;
oom:
	fig_release(&f);
	return -ENOMEM;
}

static int
walk_figs(struct crawl_article *a, const xmlNode *n, const char *group, int in_sub,
	  int depth)
{
	const xmlNode *c;
	int rc;

	if (depth > MAX_DEPTH)
		return -WN_ETOOBIG;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (crawl_xml_is(c, "fig")) {
			char *id;
			int main_of_group = group != NULL &&
				!attr_is(c, "specific-use", "child-fig") &&
				attr_is(c, "id", group);

			if ((rc = add_fig(a, c, main_of_group ? NULL : group, in_sub)) < 0)
				return rc;
			/* newer eLife XML nests supplements inside the parent fig */
			id = crawl_xml_attr(c, "id");
			rc = walk_figs(a, c, id, in_sub, depth + 1);
			free(id);
		} else if (crawl_xml_is(c, "fig-group")) {
			char *id = crawl_xml_attr(c, "id");
			const xmlNode *f;

			/* no id of its own: the group is named by its main figure */
			for (f = c->children; id == NULL && f != NULL; f = f->next)
				if (crawl_xml_is(f, "fig") && !attr_is(f, "specific-use", "child-fig"))
					id = crawl_xml_attr(f, "id");

			rc = walk_figs(a, c, id, in_sub, depth + 1);
			free(id);
		} else {
			rc = walk_figs(a, c, group, in_sub || crawl_xml_is(c, "sub-article"),
				       depth + 1);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- document ---------------------------------------------------------- */

static const xmlNode *
find_article(const xmlNode *n, int depth)
{
	const xmlNode *c, *r;

	if (depth > 8)
		return NULL;
	for (c = n; c != NULL; c = c->next) {
		if (crawl_xml_is(c, "article"))
			return c;
		if (c->type == XML_ELEMENT_NODE && !crawl_xml_is(c, "front") &&
		    (r = find_article(c->children, depth + 1)) != NULL)
			return r;
	}
	return NULL;
}

/* efetch/E-utilities errors that arrive in a 200. */
static char *
service_error(const xmlNode *root)
{
	const xmlNode *c;

	for (c = root->children; c != NULL; c = c->next) {
		char *e;

		if (crawl_xml_is(c, "Reply") && (e = crawl_xml_attr(c, "error")) != NULL)
			return crawl_collapse_ws(e);
		if (crawl_xml_is(c, "error") || crawl_xml_is(c, "ERROR"))
			return flatten(c, 1024);
	}
	if (crawl_xml_is(root, "ERROR") || crawl_xml_is(root, "error"))
		return flatten(root, 1024);
	return NULL;
}

void
crawl_article_release(struct crawl_article *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nfigs; i++)
		fig_release(&a->figs[i]);
	free(a->figs);
	free(a->pmcid);
	free(a->pmid);
	free(a->doi);
	free(a->title);
	free(a->journal);
	free(a->published_at);
	free(a->license);
	free(a->license_url);
	memset(a, 0, sizeof(*a));
}

static char *
xml_error_text(xmlParserCtxt *ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char buf[256];

	if (e == NULL || e->message == NULL)
		return strdup("not well-formed XML");
	snprintf(buf, sizeof(buf), "line %d: %s", e->line, e->message);
	return crawl_collapse_ws(strdup(buf));
}

int
crawl_jats_parse(const char *data, size_t len, struct crawl_article *ret_art,
		 char **ret_err)
{
	struct crawl_article a = { 0 };
	xmlParserCtxt *ctxt = NULL;
	xmlDoc *doc = NULL;
	const xmlNode *root, *art, *front, *meta, *jm, *n;
	char *err = NULL;
	int rc;

	if (len > CRAWL_JATS_MAX_BYTES || len > (size_t)0x7fffffff) {
		rc = -WN_ETOOBIG;
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, "article.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (doc == NULL) {
		err = xml_error_text(ctxt);
		rc = -WN_EFORMAT;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		err = strdup("empty document");
		rc = -WN_EFORMAT;
		goto out;
	}
	art = find_article(root, 0);
	if (art == NULL) {
		err = service_error(root);
		if (err != NULL) {
			rc = -WN_EREMOTE;
		} else {
			char buf[160];

			snprintf(buf, sizeof(buf), "no <article> element (root is <%.64s>)",
				 (const char *)root->name);
			err = strdup(buf);
			rc = -WN_EFORMAT;
		}
		goto out;
	}
	front = crawl_xml_child(art, "front");
	meta = crawl_xml_child(front, "article-meta");
	if (meta != NULL) {
		if ((rc = read_ids(meta, &a)) < 0)
			goto out;
		a.title = flatten(crawl_xml_child(crawl_xml_child(meta, "title-group"), "article-title"), 4096);
		read_dates(meta, &a);
		read_retraction(meta, &a);
		if ((n = crawl_xml_child(meta, "permissions")) != NULL &&
		    (rc = read_license(n, &a)) < 0)
			goto out;
	}
	jm = crawl_xml_child(front, "journal-meta");
	if (jm != NULL) {
		n = crawl_xml_child(crawl_xml_child(jm, "journal-title-group"), "journal-title");
		if (n == NULL)
			n = crawl_xml_child(jm, "journal-title");
		if (n != NULL)
			a.journal = flatten(n, 1024);
		if (a.journal == NULL || *a.journal == '\0') {
			for (n = jm->children; n != NULL; n = n->next)
				if (crawl_xml_is(n, "journal-id") &&
				    attr_is(n, "journal-id-type", "nlm-ta"))
					break;
			if (n != NULL) {
				free(a.journal);
				a.journal = flatten(n, 1024);
			}
		}
	}
	a.has_body = crawl_xml_child(art, "body") != NULL;
	if ((rc = walk_figs(&a, art, NULL, 0, 0)) < 0) {
		if (rc == -WN_ETOOBIG)
			err = strdup("too many figures or nesting too deep");
		goto out;
	}
	*ret_art = a;
	a = (struct crawl_article){ 0 };
	rc = 0;
out:
	crawl_article_release(&a);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	if (ret_err != NULL && rc < 0)
		*ret_err = err;
	else
		free(err);
	return rc;
}
