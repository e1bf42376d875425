/*
 * eutils.c: NCBI E-utilities for db=pmc: esearch (XML and JSON, history
 * server with WebEnv/query_key, retstart/retmax paging, mindate/maxdate),
 * efetch (JATS article sets from the bucket's newest version of each
 * article) and esummary (XML and JSON, from the bucket's metadata JSON).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

#define EUTILS		"/entrez/eutils/"
#define XML_DECL	"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
#define ESEARCH_DTD	"<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd\">\n"
#define ESUMMARY_DTD	"<!DOCTYPE eSummaryResult PUBLIC \"-//NLM//DTD esummary v1 20041029//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd\">\n"
#define EFETCH_DTD	"<!DOCTYPE pmc-articleset PUBLIC \"-//NLM//DTD ARTICLE SET 2.0//EN\" \"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd\">\n"
#define XML_CTYPE	"text/xml; charset=UTF-8"
#define MAX_IDS		10000

struct idlist {
	char **v;		/* owned */
	size_t n;
};

static void
idlist_release(struct idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
idlist_add(struct idlist *l, const char *id, size_t len)
{
	char **v;

	if (l->n >= MAX_IDS)
		return -WN_ETOOBIG;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	l->v = v;
	v[l->n] = strndup(id, len);
	if (v[l->n] == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

static int
xml_error(struct mirror_reply *rep, const char *root, const char *dtd, const char *msg)
{
	struct wn_buf b;

	wn_buf_init(&b, 0);
	if (wn_buf_printf(&b, XML_DECL "%s<%s>\n\t<ERROR>", dtd, root) < 0 ||
	    mirror_xml_escape(&b, msg) < 0 ||
	    wn_buf_printf(&b, "</ERROR>\n</%s>\n", root) < 0) {
		wn_buf_release(&b);
		return -ENOMEM;
	}
	return mirror_reply_buf(rep, 200, XML_CTYPE, &b);
}

static void
norm_term(char *s)
{
	char *w = s;
	int sp = 1;

	for (char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isspace(ch)) {
			if (!sp)
				*w++ = ' ';
			sp = 1;
			continue;
		}
		*w++ = (char)tolower(ch);
		sp = 0;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/*
 * Every recorded term contained in the request's term counts, ANDed: the ids
 * of the first, in its order, that all the others also hold.  1 and the ids
 * (borrowed strings, array owned by the caller), or 0 when no term is known.
 */
int
mirror_search_ids(const struct mirror_corpus *c, const char *term, const char ***ret_ids,
		  size_t *ret_n)
{
	const struct mirror_search *first = NULL;
	const char **ids = NULL;
	size_t n = 0;
	char *t = strdup(term);
	int found = 0;

	*ret_ids = NULL;
	*ret_n = 0;
	if (t == NULL)
		return -ENOMEM;
	norm_term(t);
	for (size_t i = 0; i < c->nsearches; i++)
		if (*c->searches[i].term && strstr(t, c->searches[i].term)) {
			first = &c->searches[i];
			break;
		}
	if (first == NULL)
		goto out;
	found = 1;
	ids = calloc(first->nids ? first->nids : 1, sizeof(*ids));
	if (ids == NULL) {
		found = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < first->nids; k++) {
		int keep = 1;

		for (size_t i = 0; keep && i < c->nsearches; i++) {
			const struct mirror_search *s = &c->searches[i];
			int has = 0;

			if (s == first || !*s->term || !strstr(t, s->term))
				continue;
			for (size_t j = 0; j < s->nids && !has; j++)
				has = strcmp(s->ids[j], first->ids[k]) == 0;
			keep = has;
		}
		if (keep)
			ids[n++] = first->ids[k];
	}
	*ret_ids = ids;
	*ret_n = n;
	ids = NULL;
out:
	free(ids);
	free(t);
	return found;
}

/* "2024", "2024/3", "2024/03/05" -> "2024/03/05"; hi picks the end of a range. */
static int
norm_date(const char *s, int hi, char out[11])
{
	int y = 0, m = hi ? 12 : 1, d = hi ? 31 : 1, n;

	n = sscanf(s, "%d/%d/%d", &y, &m, &d);
	if (n < 1 || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -EINVAL;
	if (n == 2 && hi)
		d = 31;
	snprintf(out, 11, "%04d/%02d/%02d", y, m, d);
	return 0;
}

static const char *
rdat_of(const struct mirror_corpus *c, const char *id)
{
	for (size_t i = 0; i < c->nrdat; i++)
		if (strcmp(c->rdat_ids[i], id) == 0)
			return c->rdat_dates[i];
	return NULL;
}

static void
make_webenv(const char *term, uint64_t n, char out[40])
{
	uint64_t h = wn_hash64(term, strlen(term)) ^ mirror_mix64(n);

	snprintf(out, 40, "MCID_%016llx%08x", (unsigned long long)mirror_mix64(h),
		 (unsigned)(n & 0xffffffffu));
}

static int
hist_store(struct mirror *m, const char *term, const struct idlist *ids, char out[40])
{
	struct mirror_hist *h;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	h = &m->hist[m->nhist % MIRROR_MAX_HIST];
	for (size_t i = 0; i < h->nids; i++)
		free(h->ids[i]);
	free(h->ids);
	memset(h, 0, sizeof(*h));
	make_webenv(term, m->nhist, h->webenv);
	m->nhist++;
	if (ids->n) {
		h->ids = calloc(ids->n, sizeof(*h->ids));
		if (h->ids == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < ids->n; i++) {
			h->ids[i] = strdup(ids->v[i]);
			if (h->ids[i] == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			h->nids++;
		}
	}
	memcpy(out, h->webenv, 40);
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* 1 and the ids stored under webenv, 0 if unknown. */
static int
hist_get(struct mirror *m, const char *webenv, struct idlist *ret)
{
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < MIRROR_MAX_HIST && i < m->nhist; i++) {
		struct mirror_hist *h = &m->hist[i];

		if (strcmp(h->webenv, webenv) != 0)
			continue;
		for (size_t j = 0; j < h->nids; j++) {
			rc = idlist_add(ret, h->ids[j], strlen(h->ids[j]));
			if (rc < 0)
				goto out;
		}
		rc = 1;
		break;
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int
page_args(const struct mirror_req *r, int dflt_max, int *ret_start, int *ret_max)
{
	const char *s = mirror_arg(r, "retstart"), *m = mirror_arg(r, "retmax");

	*ret_start = 0;
	*ret_max = dflt_max;
	if (s && wn_parse_int(s, 0, 1 << 30, ret_start) < 0)
		return -EINVAL;
	if (m && wn_parse_int(m, 0, 1 << 30, ret_max) < 0)
		return -EINVAL;
	if (*ret_max > MAX_IDS)
		*ret_max = MAX_IDS;
	return 0;
}

static int
esearch(struct mirror *m, const struct mirror_corpus *c, const struct mirror_req *r,
	struct mirror_reply *rep)
{
	const char *term = mirror_arg(r, "term"), *mode = mirror_arg(r, "retmode");
	const char *mind = mirror_arg(r, "mindate"), *maxd = mirror_arg(r, "maxdate");
	const char *hist = mirror_arg(r, "usehistory"), *reld = mirror_arg(r, "reldate");
	const char **found = NULL;
	size_t nfound = 0;
	struct idlist ids = { 0 };
	char webenv[40] = "", lo[11], hi[11];
	int json = mode && strcmp(mode, "json") == 0, start, max, rc, usehist, known = 0;
	json_t *j = NULL, *res, *list;
	struct wn_buf b;

	wn_buf_init(&b, 0);
	usehist = hist && (strcmp(hist, "y") == 0 || strcmp(hist, "yes") == 0);
	if (term == NULL || *term == '\0') {
		if (json) {
			j = json_pack("{s{ssss}s{ss}}", "header", "type", "esearch", "version",
				      "0.3", "esearchresult", "ERROR",
				      "Empty term and query_key - nothing todo");
			rc = j ? mirror_reply_json(rep, 200, j) : -ENOMEM;
			goto out;
		}
		rc = xml_error(rep, "eSearchResult", ESEARCH_DTD,
			       "Empty term and query_key - nothing todo");
		goto out;
	}
	if (page_args(r, 20, &start, &max) < 0) {
		rc = xml_error(rep, "eSearchResult", ESEARCH_DTD,
			       "Invalid retstart or retmax value");
		goto out;
	}
	if ((mind != NULL) != (maxd != NULL)) {
		rc = xml_error(rep, "eSearchResult", ESEARCH_DTD,
			       "mindate and maxdate must be given together");
		goto out;
	}
	if (mind && (norm_date(mind, 0, lo) < 0 || norm_date(maxd, 1, hi) < 0)) {
		rc = xml_error(rep, "eSearchResult", ESEARCH_DTD, "Invalid date");
		goto out;
	}
	if (mind == NULL && reld) {
		int days;
		time_t t;
		struct tm tm;

		if (wn_parse_int(reld, 0, 1000000, &days) < 0) {
			rc = xml_error(rep, "eSearchResult", ESEARCH_DTD, "Invalid reldate");
			goto out;
		}
		/* the last N days up to today: [today - N, today] */
		t = time(NULL) - (time_t)days * 86400;
		gmtime_r(&t, &tm);
		strftime(lo, sizeof(lo), "%Y/%m/%d", &tm);
		snprintf(hi, sizeof(hi), "9999/12/31");
		mind = lo;
	}
	known = mirror_search_ids(c, term, &found, &nfound);
	if (known < 0) {
		rc = known;
		goto out;
	}
	for (size_t i = 0; i < nfound; i++) {
		const char *d = mind ? rdat_of(c, found[i]) : NULL;

		if (mind && d && (strcmp(d, lo) < 0 || strcmp(d, hi) > 0))
			continue;
		rc = idlist_add(&ids, found[i], strlen(found[i]));
		if (rc < 0)
			goto out;
	}
	if (usehist && known) {
		rc = hist_store(m, term, &ids, webenv);
		if (rc < 0)
			goto out;
	}
	if (json) {
		int n = 0;

		j = json_object();
		res = json_object();
		list = json_array();
		if (!j || !res || !list) {
			json_decref(res);
			json_decref(list);
			rc = -ENOMEM;
			goto out;
		}
		json_object_set_new(j, "header", json_pack("{ssss}", "type", "esearch",
							    "version", "0.3"));
		json_object_set_new(j, "esearchresult", res);
		for (size_t i = (size_t)start; i < ids.n && n < max; i++, n++)
			json_array_append_new(list, json_string(ids.v[i]));
		if (wn_buf_printf(&b, "%zu", ids.n) < 0)
			goto nomem;
		json_object_set_new(res, "count", json_string(b.data));
		wn_buf_reset(&b);
		if (wn_buf_printf(&b, "%d", n) < 0)
			goto nomem;
		json_object_set_new(res, "retmax", json_string(b.data));
		wn_buf_reset(&b);
		if (wn_buf_printf(&b, "%d", start) < 0)
			goto nomem;
		json_object_set_new(res, "retstart", json_string(b.data));
		if (*webenv) {
			json_object_set_new(res, "querykey", json_string("1"));
			json_object_set_new(res, "webenv", json_string(webenv));
		}
		json_object_set_new(res, "idlist", list);
		json_object_set_new(res, "translationset", json_array());
		json_object_set_new(res, "querytranslation", json_string(term));
		if (!known) {
			json_object_set_new(res, "errorlist", json_pack("{s[s]s[]}",
					    "phrasesnotfound", term, "fieldsnotfound"));
			json_object_set_new(res, "warninglist", json_pack("{s[]s[]s[s]}",
					    "phrasesignored", "quotedphrasesnotfound",
					    "outputmessages", "No items found."));
		}
		rc = mirror_reply_json(rep, 200, j);
		goto out;
	}
	{
		int n = 0;

		for (size_t i = (size_t)start; i < ids.n && n < max; i++)
			n++;
		if (wn_buf_printf(&b, XML_DECL ESEARCH_DTD "<eSearchResult><Count>%zu</Count>"
				  "<RetMax>%d</RetMax><RetStart>%d</RetStart>", ids.n, n,
				  start) < 0)
			goto nomem;
		if (*webenv && wn_buf_printf(&b, "<QueryKey>1</QueryKey><WebEnv>%s</WebEnv>",
					     webenv) < 0)
			goto nomem;
		if (n == 0) {
			if (wn_buf_addstr(&b, "<IdList/>") < 0)
				goto nomem;
		} else {
			if (wn_buf_addstr(&b, "<IdList>\n") < 0)
				goto nomem;
			for (int k = 0; k < n; k++)
				if (wn_buf_printf(&b, "<Id>%s</Id>\n", ids.v[start + k]) < 0)
					goto nomem;
			if (wn_buf_addstr(&b, "</IdList>") < 0)
				goto nomem;
		}
		if (wn_buf_addstr(&b, "<TranslationSet/><QueryTranslation>") < 0 ||
		    mirror_xml_escape(&b, term) < 0 ||
		    wn_buf_addstr(&b, "</QueryTranslation>") < 0)
			goto nomem;
		if (!known && (wn_buf_addstr(&b, "<ErrorList><PhraseNotFound>") < 0 ||
				  mirror_xml_escape(&b, term) < 0 ||
				  wn_buf_addstr(&b, "</PhraseNotFound></ErrorList>") < 0))
			goto nomem;
		if (ids.n == 0 && wn_buf_addstr(&b, "<WarningList><OutputMessage>No items "
						"found.</OutputMessage></WarningList>") < 0)
			goto nomem;
		if (wn_buf_addstr(&b, "</eSearchResult>\n") < 0)
			goto nomem;
		rc = mirror_reply_buf(rep, 200, XML_CTYPE, &b);
		goto out;
	}
nomem:
	rc = -ENOMEM;
out:
	free(found);
	json_decref(j);
	idlist_release(&ids);
	wn_buf_release(&b);
	return rc;
}

/*
 * The ids of an efetch or esummary: id=1,2,PMC3 or WebEnv+query_key with
 * retstart/retmax.  1 = ids set, 0 = an error reply was set.
 */
static int
request_ids(struct mirror *m, const struct mirror_req *r, struct mirror_reply *rep,
	    const char *root, const char *dtd, struct idlist *ids)
{
	const char *id = mirror_arg(r, "id"), *we = mirror_arg(r, "WebEnv");
	const char *qk = mirror_arg(r, "query_key");
	int rc;

	if (id && *id) {
		const char *p = id;

		while (*p) {
			size_t n;

			while (*p == ',' || *p == ' ')
				p++;
			if (strncmp(p, "PMC", 3) == 0)
				p += 3;
			n = strcspn(p, ", ");
			if (n) {
				rc = idlist_add(ids, p, n);
				if (rc < 0)
					return rc;
			}
			p += n;
		}
		return 1;
	}
	if (we && qk) {
		struct idlist all = { 0 };
		int start, max;

		rc = strcmp(qk, "1") == 0 ? hist_get(m, we, &all) : 0;
		if (rc < 0)
			return rc;
		if (rc == 0) {
			idlist_release(&all);
			rc = xml_error(rep, root, dtd, "Unable to obtain query #1");
			return rc < 0 ? rc : 0;
		}
		if (page_args(r, 20, &start, &max) < 0) {
			idlist_release(&all);
			rc = xml_error(rep, root, dtd, "Invalid retstart or retmax value");
			return rc < 0 ? rc : 0;
		}
		for (size_t i = (size_t)start; i < all.n && (int)ids->n < max; i++) {
			rc = idlist_add(ids, all.v[i], strlen(all.v[i]));
			if (rc < 0) {
				idlist_release(&all);
				return rc;
			}
		}
		idlist_release(&all);
		return 1;
	}
	rc = xml_error(rep, root, dtd, "Neither query_key nor id specified");
	return rc < 0 ? rc : 0;
}

/* Bucket key of the newest version's file: "PMC<id>.<N>/PMC<id>.<N>.xml" or
 * "metadata/PMC<id>.<N>.json". */
const struct mirror_obj *
mirror_newest(const struct mirror_corpus *c, const char *id, int metadata)
{
	const struct mirror_obj *best = NULL;
	int bestv = 0;
	struct wn_buf p;
	size_t i, plen;

	for (const char *q = id; *q; q++)
		if (*q < '0' || *q > '9')
			return NULL;
	wn_buf_init(&p, 0);
	if (wn_buf_printf(&p, "%sPMC%s.", metadata ? "metadata/" : "", id) < 0) {
		wn_buf_release(&p);
		return NULL;
	}
	plen = p.len;
	for (i = mirror_obj_lower(c, p.data); i < c->nobjs; i++) {
		const char *k = c->objs[i].key;
		char *end;
		long v;

		if (strncmp(k, p.data, plen) != 0)
			break;
		v = strtol(k + plen, &end, 10);
		if (end == k + plen || v <= 0 || v > 100000)
			continue;
		if (metadata ? strcmp(end, ".json") != 0
			     : (strncmp(end, "/PMC", 4) != 0 || !strstr(end, ".xml") ||
				strcmp(end + strlen(end) - 4, ".xml") != 0 ||
				strchr(end + 1, '/') != NULL))
			continue;
		if (v > bestv) {
			bestv = (int)v;
			best = &c->objs[i];
		}
	}
	wn_buf_release(&p);
	return best;
}

/* Skip the XML declaration, DOCTYPE, comments and PIs before the root. */
static const char *
skip_prolog(const char *s, const char *end)
{
	for (;;) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (end - s >= 2 && s[0] == '<' && s[1] == '?') {
			const char *e = strstr(s, "?>");

			if (e == NULL)
				return end;
			s = e + 2;
		} else if (end - s >= 4 && strncmp(s, "<!--", 4) == 0) {
			const char *e = strstr(s, "-->");

			if (e == NULL)
				return end;
			s = e + 3;
		} else if (end - s >= 9 && strncmp(s, "<!DOCTYPE", 9) == 0) {
			int depth = 0;

			for (; s < end; s++) {
				if (*s == '[')
					depth++;
				else if (*s == ']')
					depth--;
				else if (*s == '>' && depth <= 0)
					break;
			}
			s = s < end ? s + 1 : end;
		} else {
			return s;
		}
	}
}

static int
efetch(struct mirror *m, const struct mirror_corpus *c, const struct mirror_req *r,
       struct mirror_reply *rep)
{
	struct idlist ids = { 0 };
	struct wn_buf b;
	int rc;

	wn_buf_init(&b, 0);
	rc = request_ids(m, r, rep, "eFetchResult", "", &ids);
	if (rc <= 0) {
		rc = rc == 0 ? 1 : rc;	/* 0: the error reply is set */
		goto out;
	}
	if (wn_buf_addstr(&b, "<?xml version=\"1.0\" ?>\n" EFETCH_DTD "<pmc-articleset>") < 0)
		goto nomem;
	for (size_t i = 0; i < ids.n; i++) {
		const struct mirror_obj *o = mirror_newest(c, ids.v[i], 0);
		char *data = NULL;
		size_t len;
		const char *s;

		if (o == NULL || wn_read_file(o->path, MIRROR_MAX_FILE, &data, &len) < 0) {
			if (wn_buf_printf(&b, "<Reply Id=\"%s\" error=\"The following PMCID is "
					  "not available: %s\"/>", ids.v[i], ids.v[i]) < 0)
				goto nomem;
			continue;
		}
		s = skip_prolog(data, data + len);
		rc = wn_buf_add(&b, s, (size_t)(data + len - s));
		free(data);
		if (rc < 0)
			goto nomem;
		while (b.len && isspace((unsigned char)b.data[b.len - 1]))
			b.data[--b.len] = '\0';
	}
	if (wn_buf_addstr(&b, "</pmc-articleset>\n") < 0)
		goto nomem;
	rc = mirror_reply_buf(rep, 200, XML_CTYPE, &b);
	goto out;
nomem:
	rc = -ENOMEM;
out:
	idlist_release(&ids);
	wn_buf_release(&b);
	return rc;
}

/* From "Nature. 2020 Sep 16;585(7825):357-362." take the journal and date. */
static void
split_citation(const char *cit, char *src, size_t srcn, char *date, size_t daten)
{
	const char *dot = strstr(cit, ". "), *semi;

	*src = *date = '\0';
	if (dot == NULL)
		return;
	snprintf(src, srcn, "%.*s", (int)(dot - cit), cit);
	semi = strchr(dot + 2, ';');
	snprintf(date, daten, "%.*s", (int)(semi ? semi - (dot + 2) : (long)strlen(dot + 2)),
		 dot + 2);
}

static int
esummary(struct mirror *m, const struct mirror_corpus *c, const struct mirror_req *r,
	 struct mirror_reply *rep)
{
	const char *mode = mirror_arg(r, "retmode");
	int json = mode && strcmp(mode, "json") == 0;
	struct idlist ids = { 0 };
	json_t *j = NULL, *result = NULL, *uids = NULL;
	struct wn_buf b;
	int rc;

	wn_buf_init(&b, 0);
	rc = request_ids(m, r, rep, "eSummaryResult", ESUMMARY_DTD, &ids);
	if (rc <= 0) {
		rc = rc == 0 ? 1 : rc;	/* 0: the error reply is set */
		goto out;
	}
	if (json) {
		j = json_object();
		result = json_object();
		uids = json_array();
		if (!j || !result || !uids)
			goto nomem;
		json_object_set_new(j, "header", json_pack("{ssss}", "type", "esummary",
							    "version", "0.3"));
		json_object_set(j, "result", result);
		json_object_set(result, "uids", uids);
	} else if (wn_buf_addstr(&b, XML_DECL ESUMMARY_DTD "<eSummaryResult>\n") < 0) {
		goto nomem;
	}
	for (size_t i = 0; i < ids.n; i++) {
		const struct mirror_obj *o = mirror_newest(c, ids.v[i], 1);
		char *data = NULL, src[256], date[64], pmcid[64];
		size_t len;
		json_t *meta = NULL;
		const char *title = "", *doi = "", *cit = "";
		long long pmid = 0;

		if (o && wn_read_file(o->path, MIRROR_MAX_INDEX, &data, &len) == 0) {
			meta = json_loadb(data, len, 0, NULL);
			free(data);
		}
		if (meta) {
			const char *t;

			title = (t = json_string_value(json_object_get(meta, "title"))) ? t : "";
			doi = (t = json_string_value(json_object_get(meta, "doi"))) ? t : "";
			cit = (t = json_string_value(json_object_get(meta, "citation"))) ? t : "";
			pmid = json_integer_value(json_object_get(meta, "pmid"));
		}
		split_citation(cit, src, sizeof(src), date, sizeof(date));
		snprintf(pmcid, sizeof(pmcid), "PMC%s", ids.v[i]);
		if (json) {
			json_t *doc;

			json_array_append_new(uids, json_string(ids.v[i]));
			if (meta == NULL) {
				doc = json_pack("{ssss}", "uid", ids.v[i], "error",
						"cannot get document summary");
			} else {
				char pm[32];

				snprintf(pm, sizeof(pm), "%lld", pmid);
				doc = json_pack("{ss ss ss ss ss ss s[{sssiss}{sssiss}{sssiss}]}",
						"uid", ids.v[i], "pubdate", date, "epubdate", "",
						"source", src, "title", title,
						"fulljournalname", src, "articleids",
						"idtype", "pmid", "idtypen", 1, "value", pm,
						"idtype", "doi", "idtypen", 3, "value", doi,
						"idtype", "pmcid", "idtypen", 5, "value", pmcid);
			}
			json_object_set_new(result, ids.v[i], doc);
		} else if (meta == NULL) {
			if (wn_buf_printf(&b, "\t<ERROR>UID=%s: cannot get document summary"
					  "</ERROR>\n", ids.v[i]) < 0)
				goto nomem_meta;
		} else {
			if (wn_buf_printf(&b, "<DocSum>\n\t<Id>%s</Id>\n\t<Item Name=\"PubDate\" "
					  "Type=\"Date\">", ids.v[i]) < 0 ||
			    mirror_xml_escape(&b, date) < 0 ||
			    wn_buf_addstr(&b, "</Item>\n\t<Item Name=\"Source\" Type=\"String\">") < 0 ||
			    mirror_xml_escape(&b, src) < 0 ||
			    wn_buf_addstr(&b, "</Item>\n\t<Item Name=\"Title\" Type=\"String\">") < 0 ||
			    mirror_xml_escape(&b, title) < 0 ||
			    wn_buf_printf(&b, "</Item>\n\t<Item Name=\"ArticleIds\" Type=\"List\">\n"
					  "\t\t<Item Name=\"pmid\" Type=\"String\">%lld</Item>\n"
					  "\t\t<Item Name=\"doi\" Type=\"String\">", pmid) < 0 ||
			    mirror_xml_escape(&b, doi) < 0 ||
			    wn_buf_printf(&b, "</Item>\n\t\t<Item Name=\"pmcid\" Type=\"String\">%s"
					  "</Item>\n\t</Item>\n</DocSum>\n", pmcid) < 0)
				goto nomem_meta;
		}
		json_decref(meta);
		continue;
nomem_meta:
		json_decref(meta);
		goto nomem;
	}
	if (json) {
		rc = mirror_reply_json(rep, 200, j);
		goto out;
	}
	if (wn_buf_addstr(&b, "</eSummaryResult>\n") < 0)
		goto nomem;
	rc = mirror_reply_buf(rep, 200, XML_CTYPE, &b);
	goto out;
nomem:
	rc = -ENOMEM;
out:
	json_decref(result);
	json_decref(uids);
	json_decref(j);
	idlist_release(&ids);
	wn_buf_release(&b);
	return rc;
}

int
mirror_eutils(struct mirror *m, const struct mirror_corpus *c, const struct mirror_req *r,
	      struct mirror_reply *rep)
{
	const char *name;

	if (strncmp(r->path, EUTILS, strlen(EUTILS)) != 0)
		return 0;
	name = r->path + strlen(EUTILS);
	if (strcmp(name, "esearch.fcgi") == 0)
		return esearch(m, c, r, rep);
	if (strcmp(name, "efetch.fcgi") == 0)
		return efetch(m, c, r, rep);
	if (strcmp(name, "esummary.fcgi") == 0)
		return esummary(m, c, r, rep);
	return mirror_reply_text(rep, 404, "text/html",
				 "<html><body>Not Found</body></html>\n");
}
