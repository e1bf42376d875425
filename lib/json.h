/*
 * json.h: a thin layer over jansson for JSON Lines output and bounded parsing.
 */
#ifndef WN_JSON_H
#define WN_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Parse at most max bytes; on failure *ret_err (if given) gets a malloc'd
   one-line message "line L column C: text".  Returns NULL on failure. */
json_t *wn_json_parse(const char *data, size_t len, size_t max, char **ret_err);

/* Write one compact object and a newline (JSON Lines), keys in insertion order,
   UTF-8 unescaped.  Returns 0, -EPIPE when the reader left, or -EIO. */
int wn_json_write_line(FILE *out, const json_t *obj);

/* Borrowed accessors that tolerate missing keys and wrong types. */
const char *wn_json_str(const json_t *obj, const char *key);	/* NULL if absent */
long long wn_json_int(const json_t *obj, const char *key, long long dflt);
int wn_json_bool(const json_t *obj, const char *key, int dflt);

#endif
