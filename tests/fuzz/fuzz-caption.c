/*
 * fuzz-caption: the caption splitter on arbitrary bytes: it succeeds (or
 * refuses an over-long caption), every span lies inside the text with start
 * < end, sub-captions come in text order and carry labels, the JSON renders,
 * nothing leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caption.h"
#include "lib/log.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_caption_split s;
	struct wn_buf b;
	size_t i;
	int rc, prev = 0;

	memset(&s, 0, sizeof(s));
	rc = wn_caption_split(NULL, (const char *)data, size, &s);
	if (rc == -WN_ETOOBIG && size > WN_CAPTION_MAX_BYTES)
		return 0;
	if (rc < 0)
		abort();
	for (i = 0; i < s.nsubs; i++) {
		const struct wn_caption_span *sp = &s.subs[i];

		if (sp->start < prev || sp->start >= sp->end ||
				sp->end > (int)s.ncp || sp->nlabels <= 0 ||
				sp->nlabels > WN_CAPTION_MAX_LABELS)
			abort();
		prev = sp->start;
	}
	for (i = 0; i < s.nshared; i++)
		if (s.shared[i].start < 0 || s.shared[i].start >= s.shared[i].end ||
				s.shared[i].end > (int)s.ncp)
			abort();
	wn_buf_init(&b, 0);
	if (wn_caption_split_json(&s, &b) < 0)
		abort();
	wn_buf_release(&b);
	wn_caption_split_release(&s);
	return 0;
}
