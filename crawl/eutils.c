/*
 * eutils.c: esearch replies.  Every E-utility can answer 200 with <ERROR>; that
 * is checked before Count or IdList is trusted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/eutils.h"
#include "crawl/xmlutil.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

void
crawl_esearch_release(struct crawl_esearch *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nids; i++)
		free(e->ids[i]);
	free(e->ids);
	free(e->query_key);
	free(e->webenv);
	free(e->translation);
	memset(e, 0, sizeof(*e));
}

static int64_t
num(const xmlNode *n)
{
	char *t = crawl_xml_text(n, 32);
	int64_t v = -1;

	if (t == NULL || wn_parse_i64(t, 0, INT64_MAX, &v) < 0)
		v = -1;
	free(t);
	return v;
}

static int
all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return i > 0 && i <= 20;
}

int
crawl_esearch_parse(const char *data, size_t len, struct crawl_esearch *ret,
		    char **ret_err)
{
	struct crawl_esearch e = { 0 };
	xmlDoc *doc;
	xmlNode *root, *c, *id;
	char *err = NULL;
	int rc = 0;

	doc = crawl_xml_read(data, len, CRAWL_EUTILS_MAX_REPLY, &err);
	if (doc == NULL) {
		rc = -WN_EFORMAT;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if ((c = crawl_xml_child(root, "ERROR")) != NULL || crawl_xml_is(root, "ERROR")) {
		err = crawl_xml_text(c != NULL ? c : root, 1024);
		rc = -WN_EREMOTE;
		goto out;
	}
	if (!crawl_xml_is(root, "eSearchResult")) {
		char buf[128];

		snprintf(buf, sizeof(buf), "not an esearch reply (root <%.60s>)",
			 root != NULL ? (const char *)root->name : "");
		err = strdup(buf);
		rc = -WN_EFORMAT;
		goto out;
	}
	e.count = num(crawl_xml_child(root, "Count"));
	e.retmax = num(crawl_xml_child(root, "RetMax"));
	e.retstart = num(crawl_xml_child(root, "RetStart"));
	if (e.count < 0) {
		err = strdup("esearch reply without <Count>");
		rc = -WN_EFORMAT;
		goto out;
	}
	e.query_key = crawl_xml_text(crawl_xml_child(root, "QueryKey"), 64);
	e.webenv = crawl_xml_text(crawl_xml_child(root, "WebEnv"), 1024);
	e.translation = crawl_xml_text(crawl_xml_child(root, "QueryTranslation"), 4096);
	if (crawl_xml_child(crawl_xml_child(root, "ErrorList"), "PhraseNotFound") != NULL)
		e.not_found = 1;
	for (id = crawl_xml_child(crawl_xml_child(root, "IdList"), "Id"); id != NULL;
	     id = id->next) {
		char *t, **nv;

		if (!crawl_xml_is(id, "Id"))
			continue;
		if (e.nids >= CRAWL_EUTILS_MAX_IDS) {
			err = strdup("too many ids in one esearch page");
			rc = -WN_ETOOBIG;
			goto out;
		}
		t = crawl_xml_text(id, 32);
		if (t == NULL || !all_digits(t)) {
			free(t);
			continue;	/* not a PMC id: ignore */
		}
		nv = realloc(e.ids, (e.nids + 1) * sizeof(*nv));
		if (nv == NULL) {
			free(t);
			rc = -ENOMEM;
			goto out;
		}
		e.ids = nv;
		e.ids[e.nids++] = t;
	}
	*ret = e;
	e = (struct crawl_esearch){ 0 };
out:
	crawl_esearch_release(&e);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ret_err != NULL && rc < 0)
		*ret_err = err;
	else
		free(err);
	return rc;
}

char *
crawl_eutils_error(const char *data, size_t len)
{
	xmlDoc *doc = crawl_xml_read(data, len, CRAWL_EUTILS_MAX_REPLY, NULL);
	xmlNode *root, *c;
	char *t = NULL;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (crawl_xml_is(root, "ERROR"))
		t = crawl_xml_text(root, 1024);
	else if ((c = crawl_xml_child(root, "ERROR")) != NULL)
		t = crawl_xml_text(c, 1024);
	xmlFreeDoc(doc);
	return t;
}
