/*
 * xmlutil.c: safe XML parsing for the crawl readers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "crawl/jats.h"
#include "crawl/xmlutil.h"
#include "lib/banned.h"

xmlDoc *
crawl_xml_read(const char *data, size_t len, size_t max, char **ret_err)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > max || len > (size_t)0x7fffffff) {
		if (ret_err != NULL)
			*ret_err = strdup("reply too large");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return NULL;
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, "reply.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL && ret_err != NULL) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char buf[256];

		if (e != NULL && e->message != NULL)
			snprintf(buf, sizeof(buf), "line %d: %s", e->line, e->message);
		else
			snprintf(buf, sizeof(buf), "not well-formed XML");
		*ret_err = crawl_collapse_ws(strdup(buf));
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

int
crawl_xml_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

char *
crawl_xml_attr(const xmlNode *n, const char *name)
{
	xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		const char *an = (const char *)a->name;
		const char *colon = strchr(an, ':');

		if (strcmp(an, name) == 0 || (colon != NULL && strcmp(colon + 1, name) == 0)) {
			xmlChar *v = xmlNodeGetContent((xmlNode *)a);
			char *s;

			if (v == NULL)
				return NULL;
			s = strdup((const char *)v);
			xmlFree(v);
			return s;
		}
	}
	return NULL;
}

xmlNode *
crawl_xml_child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (crawl_xml_is(c, name))
			return c;
	return NULL;
}

char *
crawl_xml_text(const xmlNode *n, size_t max)
{
	xmlChar *t;
	char *s;

	if (n == NULL)
		return NULL;
	t = xmlNodeGetContent(n);
	if (t == NULL)
		return NULL;
	s = strndup((const char *)t, max);
	xmlFree(t);
	return crawl_collapse_ws(s);
}
