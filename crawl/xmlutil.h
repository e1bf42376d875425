/*
 * xmlutil.h: the one safe way crawl parses XML replies (no network, no DTD, no
 * entity expansion, size cap), and small tree helpers.
 */
#ifndef CRAWL_XMLUTIL_H
#define CRAWL_XMLUTIL_H

#include <stddef.h>

#include <libxml/tree.h>

/* Parse; NULL on failure with *ret_err (optional, caller frees) "line L: ...". */
xmlDoc *crawl_xml_read(const char *data, size_t len, size_t max, char **ret_err);
/* First child element with this local name. */
xmlNode *crawl_xml_child(const xmlNode *n, const char *name);
/* Text content, whitespace trimmed, owned; NULL for no node or OOM. */
char *crawl_xml_text(const xmlNode *n, size_t max);
int crawl_xml_is(const xmlNode *n, const char *name);
/* Attribute by local name, whatever its namespace; owned copy or NULL. */
char *crawl_xml_attr(const xmlNode *n, const char *name);

#endif
