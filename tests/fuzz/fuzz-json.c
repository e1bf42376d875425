/*
 * fuzz-json: bounded parsing and JSON Lines writing on arbitrary bytes.  Whatever
 * parses must be written as exactly one line that parses back to an equal value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL, *out = NULL;
	size_t outlen = 0;
	json_t *v, *back;
	FILE *f;

	v = wn_json_parse((const char *)data, size, 1 << 20, &err);
	free(err);
	if (v == NULL)
		return 0;
	f = open_memstream(&out, &outlen);
	if (f == NULL) {
		json_decref(v);
		return 0;
	}
	if (wn_json_write_line(f, v) != 0)
		abort();
	fclose(f);
	if (outlen == 0 || out[outlen - 1] != '\n' || memchr(out, '\n', outlen - 1) != NULL)
		abort();
	back = wn_json_parse(out, outlen, 0, NULL);
	if (back == NULL || !json_equal(v, back))
		abort();
	json_decref(back);
	json_decref(v);
	free(out);
	return 0;
}
