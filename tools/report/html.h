/*
 * html.h: escaping and small page helpers for winnow-report.
 */
#ifndef WN_REPORT_HTML_H
#define WN_REPORT_HTML_H

#include <stdio.h>

/* Text with &, <, >, " and ' escaped; NULL prints nothing. */
void html_text(FILE *f, const char *s);
/* The first n bytes of s, escaped. */
void html_textn(FILE *f, const char *s, size_t n);
void html_begin(FILE *f, const char *title);
void html_end(FILE *f);

/* Byte offset of the code point at index cp in UTF-8 text (clamped to the end). */
size_t utf8_offset(const char *s, long cp);

#endif
