/*
 * assign.c: panel-to-sub-caption assignment and caption text cleaning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/util.h"
#include "pair/assign.h"
#include "lib/banned.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Decode one code point at s (n bytes left); *ret_len gets its length.  An
   invalid sequence is U+FFFD of length 1. */
static uint32_t
utf8_get(const unsigned char *s, size_t n, size_t *ret_len)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*ret_len = 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		goto bad;
	}
	if (len > n)
		goto bad;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*ret_len = len;
	return c;
bad:
	*ret_len = 1;
	return 0xfffd;
}

static int
utf8_put(struct wn_buf *b, uint32_t c)
{
	char s[4];
	size_t n;

	if (c < 0x80) {
		s[0] = (char)c; n = 1;
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | (c >> 6));
		s[1] = (char)(0x80 | (c & 0x3f)); n = 2;
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | (c >> 12));
		s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f)); n = 3;
	} else {
		s[0] = (char)(0xf0 | (c >> 18));
		s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f)); n = 4;
	}
	return wn_buf_add(b, s, n);
}

static int
is_space_cp(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Format and control characters that carry no text. */
static int
is_format_cp(uint32_t c)
{
	return (c < 0x20 && !is_space_cp(c)) || c == 0x7f ||
	       (c >= 0x80 && c < 0xa0 && c != 0x85) || c == 0xad ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2064) || c == 0xfeff;
}

/* ---- cleaning ------------------------------------------------------------- */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Length of an XML tag at s ("<italic>", "</sup>", "<xref ref-type=\"fig\">",
 * "<br/>"), or 0 when s is not one ("p < 0.05", "a<b").
 */
static size_t
tag_len(const char *s, size_t n)
{
	size_t i = 1, name;
	int attrs = 0;

	if (i < n && s[i] == '/')
		i++;
	if (i >= n || !is_alpha((unsigned char)s[i]))
		return 0;
	name = i;
	while (i < n && (is_alnum((unsigned char)s[i]) || s[i] == ':' || s[i] == '-' ||
			 s[i] == '_'))
		i++;
	if (i - name > 32)
		return 0;
	if (i < n && s[i] == '>')
		return i + 1;
	if (i + 1 < n && s[i] == '/' && s[i + 1] == '>')
		return i + 2;
	if (i >= n || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))
		return 0;
	/* attributes: must contain '=' and no '<' before the closing '>' */
	for (; i < n && i < 512; i++) {
		if (s[i] == '<' || s[i] == '\n')
			return 0;
		if (s[i] == '=')
			attrs = 1;
		if (s[i] == '>')
			return attrs ? i + 1 : 0;
	}
	return 0;
}

/* Decode an entity at s ("&amp;", "&#x2009;"); 0 if s is not one. */
static size_t
entity_len(const char *s, size_t n, uint32_t *ret_cp)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xa0 }, { "thinsp", 0x2009 },
		{ "ndash", 0x2013 }, { "mdash", 0x2014 }, { "micro", 0xb5 },
		{ "deg", 0xb0 }, { "plusmn", 0xb1 }, { "times", 0xd7 },
	};
	size_t i = 1;
	uint32_t c = 0;

	if (i < n && s[i] == '#') {
		int hex = 0, digits = 0;

		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < n && digits < 8; i++, digits++) {
			int ch = (unsigned char)s[i], v;

			if (is_digit(ch))
				v = ch - '0';
			else if (hex && lower(ch) >= 'a' && lower(ch) <= 'f')
				v = lower(ch) - 'a' + 10;
			else
				break;
			c = c * (hex ? 16 : 10) + (uint32_t)v;
		}
		if (digits == 0 || i >= n || s[i] != ';' || c == 0 || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		*ret_cp = c;
		return i + 1;
	}
	for (size_t k = 0; k < NELEM(named); k++) {
		size_t l = strlen(named[k].name);

		if (l + 2 <= n && strncmp(s + 1, named[k].name, l) == 0 && s[l + 1] == ';') {
			*ret_cp = named[k].cp;
			return l + 2;
		}
	}
	return 0;
}

char *
pair_clean_text(const char *in, size_t len)
{
	struct wn_buf b;
	size_t i = 0, l;
	int space = 0;
	uint32_t c;

	wn_buf_init(&b, 0);
	if (wn_buf_add(&b, "", 0) < 0)
		goto fail;
	while (i < len) {
		if (in[i] == '<' && (l = tag_len(in + i, len - i)) > 0) {
			i += l;
			continue;
		}
		if (in[i] == '&' && (l = entity_len(in + i, len - i, &c)) > 0) {
			i += l;
		} else {
			c = utf8_get((const unsigned char *)in + i, len - i, &l);
			i += l;
		}
		if (is_format_cp(c))
			continue;
		if (is_space_cp(c)) {
			space = 1;
			continue;
		}
		if (space && b.len > 0 && wn_buf_add(&b, " ", 1) < 0)
			goto fail;
		space = 0;
		if (utf8_put(&b, c) < 0)
			goto fail;
	}
	if (b.data == NULL && wn_buf_add(&b, "", 1) < 0)
		goto fail;
	return wn_buf_detach(&b, NULL);
fail:
	wn_buf_release(&b);
	return NULL;
}

/* ---- labels --------------------------------------------------------------- */

int
pair_label_norm(const char *in, char out[PAIR_LABEL_SIZE])
{
	size_t n = strlen(in), i = 0, o = 0, l;
	uint32_t c;

	while (i < n) {
		c = utf8_get((const unsigned char *)in + i, n - i, &l);
		i += l;
		if (c == 0x2032 || c == 0x2019 || c == 0x2018 || c == 0xb4 ||
		    c == '`' || c == '\'')
			c = '\'';
		else if (c == 0x2033 || c == 0x201d)
			c = '"';
		if (is_space_cp(c) || is_format_cp(c) || c == '(' || c == ')' ||
		    c == '[' || c == ']' || c == '.' || c == ',' || c == ':' ||
		    c == ';')
			continue;
		if (c == '"') {
			/* double prime: two single primes */
			if (o + 2 >= PAIR_LABEL_SIZE)
				break;
			out[o++] = '\'';
			out[o++] = '\'';
			continue;
		}
		if (c >= 0x80) {
			/* keep other characters as UTF-8 if they fit */
			if (o + l >= PAIR_LABEL_SIZE)
				break;
			memcpy(out + o, in + i - l, l);
			o += l;
			continue;
		}
		if (o + 1 >= PAIR_LABEL_SIZE)
			break;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	/* position words are lower case ("Left" -> "left") */
	for (i = 0; i < o; i++)
		if (!is_alpha((unsigned char)out[i]))
			break;
	if (i == o && o > 3)
		for (i = 0; i < o; i++)
			out[i] = (char)lower((unsigned char)out[i]);
	return (int)o;
}

static const char *const pos_words[] = {
	"left", "right", "top", "bottom", "middle", "center", "centre",
	"upper", "lower",
};

/* Axis (0 x, 1 y) and rank of a position label; -1 if it is not one. */
static int
pos_rank(const char *l, int *ret_axis)
{
	static const struct {
		const char *w;
		int axis, rank;
	} t[] = {
		{ "left", 0, 0 }, { "center", 0, 1 }, { "centre", 0, 1 },
		{ "right", 0, 2 }, { "top", 1, 0 }, { "upper", 1, 0 },
		{ "middle", 1, 1 }, { "bottom", 1, 2 }, { "lower", 1, 2 },
	};

	for (size_t i = 0; i < NELEM(t); i++)
		if (strcasecmp(l, t[i].w) == 0) {
			*ret_axis = t[i].axis;
			return t[i].rank;
		}
	return -1;
}

static int
is_pos_word(const char *s, size_t n)
{
	for (size_t i = 0; i < NELEM(pos_words); i++)
		if (strlen(pos_words[i]) == n && strncasecmp(s, pos_words[i], n) == 0)
			return 1;
	return 0;
}

static int
roman_value(const char *s)
{
	static const char *const r[] = {
		"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
		"xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx",
	};

	for (size_t i = 0; i < NELEM(r); i++)
		if (strcasecmp(s, r[i]) == 0)
			return (int)i + 1;
	return 0;
}

/* Label classes for ordering. */
enum { CLS_LETTER, CLS_DIGIT, CLS_ROMAN, CLS_POS, CLS_OTHER };

struct lab {
	char s[PAIR_LABEL_SIZE];
	int cls, val, primes, order;
};

static void
lab_classify(struct lab *l, int roman)
{
	const char *s = l->s;
	size_t n = strlen(s), base = n;
	int axis;

	while (base > 0 && s[base - 1] == '\'')
		base--;
	l->primes = (int)(n - base);
	l->cls = CLS_OTHER;
	l->val = 0;
	if (base == 1 && is_alpha((unsigned char)s[0]) &&
	    !(roman && roman_value(s) > 0 && l->primes == 0)) {
		l->cls = CLS_LETTER;
		l->val = lower((unsigned char)s[0]) - 'a';
	} else if (base > 0 && base <= 4 && strspn(s, "0123456789") == base) {
		l->cls = CLS_DIGIT;
		l->val = (int)strtol(s, NULL, 10);
	} else if (l->primes == 0 && roman_value(s) > 0) {
		l->cls = CLS_ROMAN;
		l->val = roman_value(s);
	} else if ((l->val = pos_rank(s, &axis)) >= 0) {
		l->cls = CLS_POS;
		l->val += axis * 3;
	}
}

static int
lab_cmp(const void *a, const void *b)
{
	const struct lab *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls - y->cls;
	if (x->cls == CLS_OTHER)
		return x->order - y->order;
	if (x->val != y->val)
		return x->val - y->val;
	if (x->primes != y->primes)
		return x->primes - y->primes;
	return x->order - y->order;
}

/* ---- markers -------------------------------------------------------------- */

static int
label_in(const char *tok, size_t n, const char labels[][PAIR_LABEL_SIZE],
	 int nlabels)
{
	char raw[PAIR_LABEL_SIZE], norm[PAIR_LABEL_SIZE];

	if (n == 0 || n >= PAIR_LABEL_SIZE)
		return 0;
	memcpy(raw, tok, n);
	raw[n] = '\0';
	pair_label_norm(raw, norm);
	for (int i = 0; i < nlabels; i++)
		if (strcasecmp(norm, labels[i]) == 0)
			return 1;
	return 0;
}

/* Bytes of a prime at s (', ′, ’), 0 if none. */
static size_t
prime_len(const char *s)
{
	if (s[0] == '\'')
		return 1;
	if (strncmp(s, "\xe2\x80\xb2", 3) == 0 || strncmp(s, "\xe2\x80\x99", 3) == 0)
		return 3;
	return 0;
}

/* Bytes of a range or list connector at s ("-", "–", ", ", " and "), 0 if none. */
static size_t
connector_len(const char *s)
{
	static const char *const words[] = { "and ", "to ", "through ", "& ", "or " };
	size_t i = 0;

	while (s[i] == ' ')
		i++;
	if (s[i] == ',' || s[i] == ';' || s[i] == '-' || s[i] == '/' || s[i] == '&') {
		i++;
	} else if (strncmp(s + i, "\xe2\x80\x93", 3) == 0 ||
		   strncmp(s + i, "\xe2\x80\x94", 3) == 0 ||
		   strncmp(s + i, "\xe2\x88\x92", 3) == 0) {
		i += 3;
	} else {
		size_t k;

		for (k = 0; k < NELEM(words); k++)
			if (i > 0 && strncmp(s + i, words[k], strlen(words[k])) == 0)
				break;
		if (k == NELEM(words))
			return 0;
		i += strlen(words[k]);
	}
	while (s[i] == ' ')
		i++;
	/* "A, and B" */
	if (strncmp(s + i, "and ", 4) == 0)
		i += 4;
	return i;
}

/* Bytes of one label token at s that is one of labels (or a position word
   of them, with "panel(s)" after it), 0 if none. */
static size_t
token_len(const char *s, const char labels[][PAIR_LABEL_SIZE], int nlabels)
{
	size_t i = 0, p;

	while (is_alnum((unsigned char)s[i]) && i < PAIR_LABEL_SIZE)
		i++;
	if (i == 0)
		return 0;
	while ((p = prime_len(s + i)) > 0)
		i += p;
	if (is_alnum((unsigned char)s[i]))
		return 0;
	if (!label_in(s, i, labels, nlabels))
		return 0;
	if (is_pos_word(s, i)) {
		static const char *const nouns[] = { " panels", " panel", " row",
			" rows", " column", " columns", " image", " images", " graph",
			" graphs", " plot", " plots" };

		for (size_t k = 0; k < NELEM(nouns); k++) {
			size_t l = strlen(nouns[k]);

			if (strncasecmp(s + i, nouns[k], l) == 0 &&
			    !is_alnum((unsigned char)s[i + l])) {
				i += l;
				break;
			}
		}
	}
	return i;
}

/* A list of label tokens at s: bytes taken, *ret_ntok tokens. */
static size_t
list_len(const char *s, const char labels[][PAIR_LABEL_SIZE], int nlabels,
	 int *ret_ntok)
{
	size_t end, t, c;
	int ntok = 0;

	if ((t = token_len(s, labels, nlabels)) == 0) {
		*ret_ntok = 0;
		return 0;
	}
	end = t;
	ntok = 1;
	for (;;) {
		c = connector_len(s + end);
		if (c == 0)
			break;
		t = token_len(s + end + c, labels, nlabels);
		if (t == 0)
			break;
		end += c + t;
		ntok++;
	}
	*ret_ntok = ntok;
	return end;
}

static size_t
skip_spaces(const char *s, size_t i)
{
	while (s[i] == ' ')
		i++;
	return i;
}

/* "(A)", "(A-C)", "(A) and (B)" at s: bytes, 0 if none. */
static size_t
paren_len(const char *s, const char labels[][PAIR_LABEL_SIZE], int nlabels)
{
	size_t i, l;
	int ntok;

	if (s[0] != '(' && s[0] != '[')
		return 0;
	i = 1;
	if (strncasecmp(s + i, "panels ", 7) == 0)
		i += 7;
	else if (strncasecmp(s + i, "panel ", 6) == 0)
		i += 6;
	l = list_len(s + i, labels, nlabels, &ntok);
	if (l == 0)
		return 0;
	i += l;
	if (s[i] != ')' && s[i] != ']')
		return 0;
	return i + 1;
}

size_t
pair_marker_len(const char *text, const char labels[][PAIR_LABEL_SIZE],
		int nlabels)
{
	size_t i = skip_spaces(text, 0), l, c;
	int ntok;

	if (nlabels <= 0)
		return 0;
	if ((l = paren_len(text + i, labels, nlabels)) > 0) {
		i += l;
		/* "(A) and (B)", "(H)-(J)" */
		for (;;) {
			c = connector_len(text + i);
			if (c == 0 || (l = paren_len(text + i + c, labels, nlabels)) == 0)
				break;
			i += c + l;
		}
		if (text[i] == ':' || text[i] == '.' || text[i] == ',')
			i++;
		return skip_spaces(text, i);
	}
	if (strncasecmp(text + i, "panels ", 7) == 0)
		i += 7;
	else if (strncasecmp(text + i, "panel ", 6) == 0)
		i += 6;
	l = list_len(text + i, labels, nlabels, &ntok);
	if (l == 0)
		return 0;
	i += l;
	switch (text[i]) {
	case ')':
	case ':':
	case ',':
	case '.':
		if (text[i + 1] != ' ' && text[i + 1] != '\0')
			return 0;
		return skip_spaces(text, i + 1);
	case ' ': {
		unsigned char next = (unsigned char)text[i + 1];

		/* "a Western blot" but not "A representative image" */
		if ((next >= 'a' && next <= 'z') || next == '\0')
			return 0;
		return skip_spaces(text, i);
	}
	case '\0':
		return i;
	default:
		return 0;
	}
}

/* Length of text without a closing postfix marker ("active (left)."). */
static size_t
strip_postfix(const char *text, size_t n, const char labels[][PAIR_LABEL_SIZE],
	      int nlabels)
{
	size_t e = n, open;

	while (e > 0 && (text[e - 1] == '.' || text[e - 1] == ',' ||
			 text[e - 1] == ';' || text[e - 1] == ' '))
		e--;
	if (e == 0 || text[e - 1] != ')')
		return n;
	open = e - 1;
	while (open > 0 && text[open] != '(' && e - open < 48)
		open--;
	if (text[open] != '(' || open == 0 || text[open - 1] != ' ')
		return n;
	if (paren_len(text + open, labels, nlabels) != e - open)
		return n;
	return open - 1;
}

/* ---- assignment ----------------------------------------------------------- */

/* Cleaned text of one span for a panel: marker and trailing separators gone. */
static int
add_span(struct wn_buf *b, const struct pair_sub *s)
{
	char *t = pair_clean_text(s->text, strlen(s->text));
	size_t skip = 0, n;
	int rc = 0;

	if (t == NULL)
		return -ENOMEM;
	if (!s->shared) {
		skip = pair_marker_len(t, s->labels, s->nlabels);
		n = strlen(t);
		n = skip + strip_postfix(t + skip, n - skip, s->labels, s->nlabels);
	} else {
		n = strlen(t);
	}
	while (n > skip && (t[n - 1] == ' ' || t[n - 1] == ';' || t[n - 1] == ','))
		n--;
	if (n > skip) {
		char *w = t + skip;
		size_t k = 0;

		/* "(A) representative blot" -> "Representative blot" */
		while (k < n - skip && w[k] >= 'a' && w[k] <= 'z')
			k++;
		if (!s->shared && k > 1 && (k == n - skip || w[k] == ' ' || w[k] == ','))
			w[0] = (char)(w[0] - 'a' + 'A');
		if (b->len > 0)
			rc = wn_buf_add(b, " ", 1);
		if (rc >= 0)
			rc = wn_buf_add(b, w, n - skip);
		/* a sub-caption that ended in ';' or ',' now ends a sentence */
		if (rc >= 0 && !s->shared && n < strlen(t) &&
		    (t[n] == ';' || t[n] == ',') && w[n - skip - 1] != '.')
			rc = wn_buf_add(b, ".", 1);
	}
	free(t);
	return rc;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct pair_sub *const *x = a, *const *y = b;

	return ((*x)->start > (*y)->start) - ((*x)->start < (*y)->start);
}

/* The caption of label lab: shared spans and sub-captions carrying lab. */
static int
compose(const struct pair_sub *subs, size_t nsubs, const char *lab,
	char **ret)
{
	const struct pair_sub **sel = NULL;
	struct wn_buf b;
	size_t n = 0;
	int rc = 0;

	wn_buf_init(&b, PAIR_MAX_TEXT * 2);
	sel = calloc(nsubs ? nsubs : 1, sizeof(*sel));
	if (sel == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nsubs; i++) {
		int take = subs[i].shared;

		for (int k = 0; !take && lab && k < subs[i].nlabels; k++)
			take = strcmp(subs[i].labels[k], lab) == 0;
		if (take)
			sel[n++] = &subs[i];
	}
	qsort(sel, n, sizeof(*sel), span_cmp);
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = add_span(&b, sel[i]);
	if (rc >= 0)
		rc = wn_buf_add(&b, "", 0);
	if (rc >= 0 && b.data == NULL)
		rc = -ENOMEM;
	free(sel);
	if (rc < 0) {
		wn_buf_release(&b);
		return rc;
	}
	*ret = wn_buf_detach(&b, NULL);
	if (*ret == NULL)
		*ret = strdup("");
	return *ret ? 0 : -ENOMEM;
}

void
pair_result_release(struct pair_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].caption);
	free(r->v);
	*r = (struct pair_result){ 0 };
}

/* Labels of the caption in panel order, distinct, normalised. */
static int
caption_labels(const struct pair_sub *subs, size_t nsubs, struct lab **ret_v,
	       size_t *ret_n)
{
	struct lab *v = NULL;
	size_t n = 0, cap = 0;
	int roman = 0, same = 1;

	for (size_t i = 0; i < nsubs; i++) {
		if (subs[i].shared)
			continue;
		for (int k = 0; k < subs[i].nlabels && k < PAIR_MAX_LABELS; k++) {
			const char *l = subs[i].labels[k];
			size_t j;

			if (l[0] == '\0')
				continue;
			for (j = 0; j < n; j++)
				if (strcmp(v[j].s, l) == 0)
					break;
			if (j < n)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct lab *t = realloc(v, nc * sizeof(*v));

				if (t == NULL) {
					free(v);
					return -ENOMEM;
				}
				v = t;
				cap = nc;
			}
			memset(&v[n], 0, sizeof(v[n]));
			snprintf(v[n].s, sizeof(v[n].s), "%s", l);
			v[n].order = (int)(subs[i].start * 64 + k);
			if (strlen(l) > 1 && roman_value(l) > 0)
				roman = 1;
			n++;
		}
	}
	for (size_t j = 0; j < n; j++)
		lab_classify(&v[j], roman);
	for (size_t j = 1; j < n; j++)
		if (v[j].cls != v[0].cls || v[j].cls == CLS_OTHER)
			same = 0;
	if (same && n > 1)
		qsort(v, n, sizeof(*v), lab_cmp);
	else if (n > 1) {
		/* text order */
		for (size_t a = 1; a < n; a++)
			for (size_t b = a; b > 0 && v[b - 1].order > v[b].order; b--) {
				struct lab t = v[b];

				v[b] = v[b - 1];
				v[b - 1] = t;
			}
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/* Index of panel label pl among the caption's labels, -1 if none. */
static int
match_label(const char *raw, const struct lab *labs, size_t nlabs, int *ret_exact)
{
	char pl[PAIR_LABEL_SIZE];
	int hit = -1, nfold = 0;

	if (pair_label_norm(raw, pl) == 0)
		return -1;
	*ret_exact = 1;
	for (size_t j = 0; j < nlabs; j++)
		if (strcmp(labs[j].s, pl) == 0)
			return (int)j;
	*ret_exact = 0;
	for (size_t j = 0; j < nlabs; j++)
		if (strcasecmp(labs[j].s, pl) == 0) {
			hit = (int)j;
			nfold++;
		}
	return nfold == 1 ? hit : -1;
}

/*
 * Group the panels into bands along an axis (0: columns, by x; 1: rows, by y):
 * panels whose extents overlap by more than a third of the smaller one share
 * a band.  group[i] gets the band of panel i, bands numbered in order along
 * the axis.  Returns the number of bands.
 */
static int
bands(const struct pair_panel *p, size_t np, int axis, int *group)
{
	int parent[PAIR_MAX_PANELS], root_rank[PAIR_MAX_PANELS];
	size_t i, j;
	int n = 0;

	for (i = 0; i < np; i++)
		parent[i] = (int)i;
	for (i = 0; i < np; i++)
		for (j = i + 1; j < np; j++) {
			int a0 = axis ? p[i].y : p[i].x, a1 = a0 + (axis ? p[i].h : p[i].w);
			int b0 = axis ? p[j].y : p[j].x, b1 = b0 + (axis ? p[j].h : p[j].w);
			int ov = (a1 < b1 ? a1 : b1) - (a0 > b0 ? a0 : b0);
			int small = a1 - a0 < b1 - b0 ? a1 - a0 : b1 - b0;
			int ri = (int)i, rj = (int)j;

			if (ov * 3 <= small)
				continue;
			while (parent[ri] != ri)
				ri = parent[ri];
			while (parent[rj] != rj)
				rj = parent[rj];
			if (ri != rj)
				parent[ri > rj ? ri : rj] = ri < rj ? ri : rj;
		}
	/* rank the bands by their smallest start along the axis */
	for (i = 0; i < np; i++)
		root_rank[i] = -1;
	for (;;) {
		int best = -1, bstart = 0;

		for (i = 0; i < np; i++) {
			int r = (int)i, st = axis ? p[i].y : p[i].x;

			while (parent[r] != r)
				r = parent[r];
			if (root_rank[r] >= 0)
				continue;
			if (best < 0 || st < bstart) {
				best = r;
				bstart = st;
			}
		}
		if (best < 0)
			break;
		root_rank[best] = n++;
	}
	for (i = 0; i < np; i++) {
		int r = (int)i;

		while (parent[r] != r)
			r = parent[r];
		group[i] = root_rank[r];
	}
	return n;
}

/*
 * Reading order by recursive XY cuts: the panels are split into rows at every
 * horizontal gutter that no panel crosses, else into columns at vertical
 * gutters, and each part is ordered the same way.  So a grid reads row by row
 * while a layout whose columns do not line up reads column by column, as
 * labels usually run.  ix holds n panel indices, ordered in place.
 */
static void
xy_order(const struct pair_panel *p, int *ix, size_t n, int depth, int first)
{
	size_t i, j, start;
	int axis, t, cut = 0;
	long tol[2];

	if (n < 2)
		return;
	/* boxes may overlap a little across a gutter: a tenth of the
	   smallest panel, at least 4 pixels */
	tol[0] = tol[1] = 0;
	for (i = 0; i < n; i++) {
		if (tol[0] == 0 || p[ix[i]].w < tol[0])
			tol[0] = p[ix[i]].w;
		if (tol[1] == 0 || p[ix[i]].h < tol[1])
			tol[1] = p[ix[i]].h;
	}
	for (i = 0; i < 2; i++)
		tol[i] = tol[i] / 10 > 4 ? tol[i] / 10 : 4;
	for (int pass = 0; pass < 2 && depth < 64; pass++) {
		long end;

		axis = pass == 0 ? first : !first;

		/* sort by the start along the axis */
		for (i = 1; i < n; i++)
			for (j = i; j > 0; j--) {
				const struct pair_panel *x = &p[ix[j - 1]], *y = &p[ix[j]];

				if ((axis ? x->y : x->x) <= (axis ? y->y : y->x))
					break;
				t = ix[j];
				ix[j] = ix[j - 1];
				ix[j - 1] = t;
			}
		end = axis ? p[ix[0]].y + p[ix[0]].h : p[ix[0]].x + p[ix[0]].w;
		for (i = 1; i < n; i++) {
			const struct pair_panel *y = &p[ix[i]];

			if ((axis ? y->y : y->x) >= end - tol[axis])
				cut = 1;
			if ((axis ? y->y + y->h : y->x + y->w) > end)
				end = axis ? y->y + y->h : y->x + y->w;
		}
		if (cut)
			break;
	}
	if (!cut) {
		/* no gutter: top to bottom, then left to right */
		for (i = 1; i < n; i++)
			for (j = i; j > 0; j--) {
				const struct pair_panel *x = &p[ix[j - 1]], *y = &p[ix[j]];

				if (x->y < y->y || (x->y == y->y && x->x <= y->x))
					break;
				t = ix[j];
				ix[j] = ix[j - 1];
				ix[j - 1] = t;
			}
		return;
	}
	/* recurse into each part between gutters */
	{
		long end = axis ? p[ix[0]].y + p[ix[0]].h : p[ix[0]].x + p[ix[0]].w;

		for (start = 0, i = 1; i <= n; i++) {
			const struct pair_panel *y = i < n ? &p[ix[i]] : NULL;

			if (y == NULL || (axis ? y->y : y->x) >= end - tol[axis]) {
				xy_order(p, ix + start, i - start, depth + 1, first);
				start = i;
			}
			if (y && (axis ? y->y + y->h : y->x + y->w) > end)
				end = axis ? y->y + y->h : y->x + y->w;
		}
	}
}

static void
reading_order(const struct pair_panel *p, size_t n, int *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	xy_order(p, order, n, 0, 1);
}

/* Labels for a set of unlabelled panels; see assign_unlabelled(). */
static int
assign_set(const struct pair_panel *p, size_t n, size_t nl, int axis,
	   int use_bands, int *idx)
{
	int grp[PAIR_MAX_PANELS], order[PAIR_MAX_PANELS], a;
	size_t i;

	if (axis >= 0) {
		if ((size_t)bands(p, n, axis, grp) != nl)
			return 0;
		for (i = 0; i < n; i++)
			idx[i] = grp[i];
		return 1;
	}
	if (n == nl) {
		reading_order(p, n, order);
		for (i = 0; i < n; i++)
			idx[order[i]] = (int)i;
		return 1;
	}
	if (n < nl || !use_bands)
		return 0;
	for (a = 1; a >= 0; a--) {
		if ((size_t)bands(p, n, a, grp) != nl)
			continue;
		for (i = 0; i < n; i++)
			idx[i] = grp[i];
		return 1;
	}
	return 0;
}

/* Gap between two boxes (0 when they touch or overlap), Manhattan. */
static long
box_gap(const struct pair_panel *a, const struct pair_panel *b)
{
	long dx = 0, dy = 0;

	if (a->x + a->w < b->x)
		dx = b->x - (a->x + a->w);
	else if (b->x + b->w < a->x)
		dx = a->x - (b->x + b->w);
	if (a->y + a->h < b->y)
		dy = b->y - (a->y + a->h);
	else if (b->y + b->h < a->y)
		dy = a->y - (b->y + b->h);
	return dx + dy;
}

/*
 * Unlabelled panels and nl caption labels: one label per panel in reading
 * order when the counts agree, else one per row or per column when those
 * count right (a panel "B" made of several plots).  When the detector cut
 * fragments off the panels (axis titles, legends: less than a tenth of the
 * largest panel's area), the same is tried on the large panels alone and each
 * fragment takes the label of the nearest large panel.  Position labels
 * ("left", "top") follow the geometry.  Returns 1 if idx was filled.
 */
static int
assign_unlabelled(const struct pair_panel *panels, size_t np,
		  const struct lab *labs, size_t nl, int *idx)
{
	struct pair_panel major[PAIR_MAX_PANELS];
	int axis = -1, a, midx[PAIR_MAX_PANELS], map[PAIR_MAX_PANELS];
	int64_t maxarea = 0;
	size_t i, j, nm = 0;

	for (i = 0; i < nl; i++) {
		if (labs[i].cls != CLS_POS) {
			axis = -1;
			break;
		}
		a = labs[i].val / 3;
		if (i > 0 && a != axis) {
			axis = -1;
			break;
		}
		axis = a;
	}
	if (assign_set(panels, np, nl, axis, 0, idx))
		return 1;
	for (i = 0; i < np; i++)
		if ((int64_t)panels[i].w * panels[i].h > maxarea)
			maxarea = (int64_t)panels[i].w * panels[i].h;
	for (i = 0; i < np; i++)
		if ((int64_t)panels[i].w * panels[i].h * 10 >= maxarea) {
			map[nm] = (int)i;
			major[nm++] = panels[i];
		}
	if (nm == np || nm == 0 || !assign_set(major, nm, nl, axis, 1, midx))
		return assign_set(panels, np, nl, axis, 1, idx);
	for (i = 0; i < np; i++)
		idx[i] = -1;
	for (j = 0; j < nm; j++)
		idx[map[j]] = midx[j];
	for (i = 0; i < np; i++) {
		long best = -1, g;

		if (idx[i] >= 0 && (int64_t)panels[i].w * panels[i].h * 10 >= maxarea)
			continue;
		for (j = 0; j < nm; j++) {
			g = box_gap(&panels[i], &major[j]);
			if (best < 0 || g < best) {
				best = g;
				idx[i] = midx[j];
			}
		}
	}
	return 1;
}

/*
 * Positions (in order) of a longest strictly increasing run of the matched
 * labels m[order[k]] (-1 = none); keep[k] = 1 for those.  Returns its length.
 */
static int
lis(const int *m, const int *order, size_t n, int *keep)
{
	int len[PAIR_MAX_PANELS], prev[PAIR_MAX_PANELS], best = -1, k;
	size_t i, j;

	for (i = 0; i < n; i++) {
		keep[i] = 0;
		len[i] = 0;
		prev[i] = -1;
		if (m[order[i]] < 0)
			continue;
		len[i] = 1;
		for (j = 0; j < i; j++)
			if (len[j] > 0 && m[order[j]] < m[order[i]] && len[j] + 1 > len[i]) {
				len[i] = len[j] + 1;
				prev[i] = (int)j;
			}
		if (best < 0 || len[i] > len[best])
			best = (int)i;
	}
	if (best < 0)
		return 0;
	for (k = best; k >= 0; k = prev[k])
		keep[k] = 1;
	return len[best];
}

/* assign_labelled() in one reading order; returns the distinct labels given. */
static int
assign_order(size_t np, size_t nl, const int *m, const int *exact,
	     const int *order, const int *kept, int *ret_idx)
{
	int seq[PAIR_MAX_PANELS], seen[PAIR_MAX_PANELS], distinct = 0;
	size_t i, j, k, rest[PAIR_MAX_PANELS], nrest;

	/* out of sequence while another panel carries the label: a misread,
	   or a label the detector spread to a neighbour */
	for (k = 0; k < np; k++) {
		int own = m[order[k]], other = 0;

		seq[k] = own;
		if (own < 0 || kept[k])
			continue;
		for (i = 0; i < np; i++)
			if (i != (size_t)order[k] && m[i] == own)
				other = 1;
		if (other)
			seq[k] = -1;
	}
	for (i = 0; i < np;) {
		int lo, hi, missing;

		if (seq[i] >= 0) {
			i++;
			continue;
		}
		for (j = i; j < np && seq[j] < 0; j++)
			;
		lo = i > 0 ? seq[i - 1] : -1;
		hi = j < np ? seq[j] : (int)nl;
		missing = hi - lo - 1;
		if (missing > 0 && (size_t)missing == j - i) {
			for (k = i; k < j; k++)
				seq[k] = lo + 1 + (int)(k - i);
			i = j;
			continue;
		}
		/* units that read their anchor's label stay with it */
		nrest = 0;
		for (k = i; k < j; k++) {
			int own = m[order[k]];

			if (own >= 0 && (own == lo || own == hi))
				seq[k] = own;
			else
				rest[nrest++] = k;
		}
		for (size_t q = 0; q < nrest; q++) {
			int own = m[order[rest[q]]];

			if (missing > 0 && (size_t)missing == nrest)
				seq[rest[q]] = lo + 1 + (int)q;
			else if (missing == 1)
				seq[rest[q]] = lo + 1;
			else if (own >= 0 && exact[order[rest[q]]] >= 0)
				seq[rest[q]] = own;	/* trust what was read */
			else if (missing == 0)
				seq[rest[q]] = lo >= 0 ? lo : hi;
		}
		i = j;
	}
	for (k = 0; k < nl && k < PAIR_MAX_PANELS; k++)
		seen[k] = 0;
	for (k = 0; k < np; k++) {
		int v = seq[k] >= 0 && (size_t)seq[k] < nl ? seq[k] : -1;

		ret_idx[order[k]] = v;
		if (v >= 0 && v < PAIR_MAX_PANELS && !seen[v]) {
			seen[v] = 1;
			distinct++;
		}
	}
	return distinct;
}

/*
 * Panels some of whose labels were read.  In reading order (row by row, or
 * column by column, whichever gives more panels their own label, then fits
 * the read labels better), a label read out of the caption's sequence that
 * another panel also carries is noise (a misread "e" for "A", or a label
 * spread to a neighbour); a read label the caption lacks is a misread too.
 * The others anchor the sequence, and the panels between two anchors take
 * the labels missing between them when the counts agree, the one missing
 * label when one is missing (the units of one panel), or the anchors' label
 * when none is missing.  idx[i] gets the label index of panel i, or -1.
 */
static void
assign_labelled(const struct pair_panel *panels, size_t np, size_t nl,
		const int *exact, int *idx)
{
	int m[PAIR_MAX_PANELS] = { 0 }, ord[2][PAIR_MAX_PANELS];
	int keep[2][PAIR_MAX_PANELS], res[2][PAIR_MAX_PANELS], n[2], d[2];
	size_t i;
	int w;

	for (i = 0; i < np; i++) {
		m[i] = idx[i];
		ord[0][i] = ord[1][i] = (int)i;
	}
	xy_order(panels, ord[0], np, 0, 1);
	xy_order(panels, ord[1], np, 0, 0);
	for (w = 0; w < 2; w++) {
		n[w] = lis(m, ord[w], np, keep[w]);
		d[w] = assign_order(np, nl, m, exact, ord[w], keep[w], res[w]);
	}
	w = d[1] > d[0] || (d[1] == d[0] && n[1] > n[0]);
	for (i = 0; i < np; i++)
		idx[i] = res[w][i];
}

/*
 * As many panels as labels: when reading them in order, row by row or column
 * by column, agrees with more of the labels read exactly than the anchored
 * assignment does, or as well while giving more panels their own label, the
 * reads were too noisy to anchor anything: take that order.
 */
static void
prefer_sequence(const struct pair_panel *panels, size_t np, const int *exact,
		int *idx)
{
	int cand[3][PAIR_MAX_PANELS], agree[3] = { 0 }, distinct[3] = { 0 };
	int best = 0, seen[PAIR_MAX_PANELS], order[PAIR_MAX_PANELS];
	size_t i;

	memcpy(cand[0], idx, np * sizeof(*idx));
	for (int w = 1; w <= 2; w++) {
		for (i = 0; i < np; i++)
			order[i] = (int)i;
		xy_order(panels, order, np, 0, w == 1);
		for (i = 0; i < np; i++)
			cand[w][order[i]] = (int)i;
	}
	for (int w = 0; w < 3; w++) {
		memset(seen, 0, np * sizeof(*seen));
		for (i = 0; i < np; i++) {
			int v = cand[w][i];

			if (exact[i] >= 0 && v == exact[i])
				agree[w]++;
			if (v >= 0 && (size_t)v < np && !seen[v]) {
				seen[v] = 1;
				distinct[w]++;
			}
		}
		if (agree[w] > agree[best] ||
		    (agree[w] == agree[best] && distinct[w] > distinct[best]))
			best = w;
	}
	memcpy(idx, cand[best], np * sizeof(*idx));
}

int
pair_assign(const char *caption, const struct pair_sub *subs, size_t nsubs,
	    const struct pair_panel *panels, size_t npanels, int width,
	    int height, struct pair_result *ret)
{
	struct pair_result r = { 0 };
	struct pair_sub *norm = NULL;
	struct lab *labs = NULL;
	size_t nlabs = 0, nmatched = 0, i;
	int *idx = NULL, rc, whole = 0, exact[PAIR_MAX_PANELS];
	char *all = NULL;

	if (caption == NULL || (npanels > 0 && panels == NULL) ||
	    (nsubs > 0 && subs == NULL))
		return -EINVAL;
	if (strlen(caption) > PAIR_MAX_TEXT || npanels > PAIR_MAX_PANELS ||
	    nsubs > PAIR_MAX_SUBS)
		return -WN_ETOOBIG;
	for (i = 0; i < nsubs; i++)
		if (subs[i].text == NULL || subs[i].nlabels < 0 ||
		    subs[i].nlabels > PAIR_MAX_LABELS)
			return -EINVAL;
	all = pair_clean_text(caption, strlen(caption));
	norm = calloc(nsubs ? nsubs : 1, sizeof(*norm));
	if (all == NULL || norm == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nsubs; i++) {
		norm[i] = subs[i];
		for (int k = 0; k < subs[i].nlabels; k++)
			pair_label_norm(subs[i].labels[k], norm[i].labels[k]);
	}
	subs = norm;
	if ((rc = caption_labels(subs, nsubs, &labs, &nlabs)) < 0)
		goto out;
	idx = calloc(npanels ? npanels : 1, sizeof(*idx));
	r.v = calloc(npanels ? npanels : 1, sizeof(*r.v));
	if (idx == NULL || r.v == NULL) {
		rc = -ENOMEM;
		goto out;
	}

	if (npanels <= 1 || nlabs == 0) {
		whole = 1;
	} else {
		for (i = 0; i < npanels; i++) {
			idx[i] = match_label(panels[i].label, labs, nlabs, &exact[i]);
			nmatched += idx[i] >= 0;
			/* exact[i] becomes the label read exactly, or -1 */
			exact[i] = exact[i] && idx[i] >= 0 ? idx[i] : -1;
		}
		if (nmatched == 0) {
			/* nothing read, or nothing that matches: reading order */
			if (!assign_unlabelled(panels, npanels, labs, nlabs, idx))
				whole = 1;
		} else {
			assign_labelled(panels, npanels, nlabs, exact, idx);
			if (npanels == nlabs)
				prefer_sequence(panels, npanels, exact, idx);
		}
	}

	if (whole) {
		struct pair_out *o = &r.v[0];

		o->panel = npanels == 1 ? 0 : -1;
		if (npanels == 1) {
			o->x = panels[0].x;
			o->y = panels[0].y;
			o->w = panels[0].w;
			o->h = panels[0].h;
		} else {
			o->w = width;
			o->h = height;
		}
		o->caption = all;
		all = NULL;
		o->status = o->caption[0] ? PAIR_OK : PAIR_NO_CAPTION;
		r.n = 1;
		r.whole = 1;
		goto done;
	}
	for (i = 0; i < npanels; i++) {
		struct pair_out *o = &r.v[i];
		const char *lab = idx[i] >= 0 ? labs[idx[i]].s : NULL;

		o->panel = (int)i;
		o->x = panels[i].x;
		o->y = panels[i].y;
		o->w = panels[i].w;
		o->h = panels[i].h;
		if ((rc = compose(subs, nsubs, lab, &o->caption)) < 0)
			goto out;
		r.n++;
		if (lab) {
			snprintf(o->labels[0], sizeof(o->labels[0]), "%s", lab);
			o->nlabels = 1;
			o->status = o->caption[0] ? PAIR_OK : PAIR_NO_CAPTION;
		} else {
			o->status = all[0] ? PAIR_UNLABELED : PAIR_NO_CAPTION;
		}
	}
done:
	*ret = r;
	r = (struct pair_result){ 0 };
	rc = 0;
out:
	pair_result_release(&r);
	free(labs);
	free(idx);
	free(all);
	free(norm);
	return rc;
}
