/*
 * fuzz-rec: the work-list reader on arbitrary bytes: every id it returns is
 * positive, the rest pointer stays inside the line, nothing leaks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_rec_reader r;
	FILE *in;
	int64_t id;
	const char *rest;
	int rc;

	if (size == 0)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (in == NULL)
		return 0;
	wn_log_init("fuzz-rec", -1);
	wn_rec_reader_init(&r, in, "fuzz");
	while ((rc = wn_rec_next(&r, &id, &rest)) == 1) {
		if (id <= 0)
			abort();
		if (rest && (rest < r.line || rest > r.line + r.cap))
			abort();
	}
	if (rc < 0 && rc != -EINVAL)
		(void)rc;
	wn_rec_reader_release(&r);
	fclose(in);
	return 0;
}
