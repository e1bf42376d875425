/*
 * json.c: JSON Lines output and bounded parsing over jansson.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/banned.h"

json_t *
wn_json_parse(const char *data, size_t len, size_t max, char **ret_err)
{
	json_error_t jerr;
	json_t *v;

	if (max && len > max) {
		if (ret_err) {
			char msg[96];

			snprintf(msg, sizeof(msg), "document of %zu bytes exceeds the %zu byte limit",
				 len, max);
			*ret_err = strdup(msg);
		}
		return NULL;
	}
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL && ret_err) {
		char msg[256];

		snprintf(msg, sizeof(msg), "line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		*ret_err = strdup(msg);
	}
	return v;
}

static int
write_cb(const char *buf, size_t size, void *data)
{
	return fwrite(buf, 1, size, (FILE *)data) == size ? 0 : -1;
}

int
wn_json_write_line(FILE *out, const json_t *obj)
{
	if (json_dump_callback(obj, write_cb, out,
			       JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0 ||
	    fputc('\n', out) == EOF)
		return errno == EPIPE ? -EPIPE : -EIO;
	return 0;
}

const char *
wn_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

long long
wn_json_int(const json_t *obj, const char *key, long long dflt)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	return dflt;
}

int
wn_json_bool(const json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	return dflt;
}
