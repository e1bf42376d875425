/*
 * html.c: HTML escaping and the page frame of winnow-report.
 */
#include <string.h>

#include "tools/report/html.h"
#include "lib/banned.h"

void
html_textn(FILE *f, const char *s, size_t n)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(s[i], f); break;
		}
	}
}

void
html_text(FILE *f, const char *s)
{
	if (s)
		html_textn(f, s, strlen(s));
}

size_t
utf8_offset(const char *s, long cp)
{
	size_t i = 0;

	while (s[i] && cp > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		cp--;
	}
	return i;
}

void
html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	html_text(f, title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
	      "text-align:left;vertical-align:top}\n"
	      ".fig{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em}\n"
	      ".wrap{position:relative;display:inline-block;max-width:100%}\n"
	      ".wrap img{display:block;max-width:720px;height:auto}\n"
	      ".wrap svg{position:absolute;left:0;top:0;width:100%;height:100%}\n"
	      ".cap{max-width:60em}.shared{background:#eee}.sub{background:#e3f0ff}\n"
	      ".lab{font-weight:bold;color:#06c}.kept{color:#070}.dropped{color:#a00}\n"
	      ".dup img{height:120px;margin:2px;border:1px solid #ccc}\n"
	      "nav a{margin-right:1em}\n"
	      "</style></head><body>\n", f);
}

void
html_end(FILE *f)
{
	fputs("</body></html>\n", f);
}
