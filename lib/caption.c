/*
 * caption.c: caption splitting (see caption.h for the method).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/caption.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- chars */

static int
is_space(uint32_t c)
{
	return c == ' ' || (c >= 9 && c <= 13) || c == 0x85 || c == 0xa0 ||
		c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
		c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
		(c >= 0x1c && c <= 0x1f);
}

static int
is_upper(uint32_t c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_lower(uint32_t c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_alpha(uint32_t c)
{
	return is_upper(c) || is_lower(c);
}

static int
is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int
is_dash(uint32_t c)
{
	return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 ||
		c == '~' || c == 0x223c || c == 0xff5e;
}

static int
is_prime(uint32_t c)
{
	return c == '\'' || c == 0x2019 || c == 0x2032 || c == 0x2033;
}

/* Letters and digits of any script (non-ASCII punctuation excluded). */
static int
is_word(uint32_t c)
{
	if (c < 0x80)
		return is_alpha(c) || is_digit(c);
	if (is_space(c) || is_dash(c) || is_prime(c))
		return 0;
	if ((c >= 0x2016 && c <= 0x206f) || c == 0xfeff || c == 0xb7 ||
			c == 0xab || c == 0xbb || c == 0xfffd || c == 0xd7 ||
			c == 0xb1 || c == 0xb0)
		return 0;
	return 1;
}

static uint32_t
lower(uint32_t c)
{
	return is_upper(c) ? c + 32 : c;
}

/* ---------------------------------------------------------------- UTF-8 */

int
wn_caption_decode(const char *text, size_t len, uint32_t **ret_cp,
		  size_t *ret_n)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t *cp;
	size_t i = 0, n = 0;

	if (len > WN_CAPTION_MAX_BYTES)
		return -WN_ETOOBIG;
	cp = malloc((len + 1) * sizeof(*cp));
	if (cp == NULL)
		return -ENOMEM;
	while (i < len) {
		uint32_t c = s[i], min;
		int k, j;

		if (c < 0x80) {
			cp[n++] = c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			c &= 0x07;
			min = 0x10000;
		} else {
			cp[n++] = 0xfffd;
			i++;
			continue;
		}
		for (j = 1; j <= k; j++) {
			if (i + j >= len || (s[i + j] & 0xc0) != 0x80)
				break;
			c = (c << 6) | (s[i + j] & 0x3f);
		}
		if (j <= k || c < min || c > 0x10ffff ||
				(c >= 0xd800 && c <= 0xdfff)) {
			cp[n++] = 0xfffd;
			i++;
			continue;
		}
		cp[n++] = c;
		i += k + 1;
	}
	*ret_cp = cp;
	*ret_n = n;
	return 0;
}

static int
put_utf8(struct wn_buf *b, uint32_t c)
{
	char u[4];
	size_t k;

	if (c < 0x80) {
		u[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	return wn_buf_add(b, u, k);
}

int
wn_caption_utf8(struct wn_buf *b, const uint32_t *cp, int start, int end)
{
	int i, rc;

	for (i = start; i < end; i++) {
		rc = put_utf8(b, cp[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
wn_caption_json_string(struct wn_buf *b, const uint32_t *cp, int start, int end)
{
	static const char hex[] = "0123456789abcdef";
	int i, rc;

	rc = wn_buf_add(b, "\"", 1);
	for (i = start; rc >= 0 && i < end; i++) {
		uint32_t c = cp[i];
		char e[6];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			rc = wn_buf_add(b, e, 2);
		} else if (c == '\n') {
			rc = wn_buf_add(b, "\\n", 2);
		} else if (c == '\t') {
			rc = wn_buf_add(b, "\\t", 2);
		} else if (c == '\r') {
			rc = wn_buf_add(b, "\\r", 2);
		} else if (c < 0x20 || c == 0x7f) {
			e[0] = '\\';
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[(c >> 4) & 15];
			e[5] = hex[c & 15];
			rc = wn_buf_add(b, e, 6);
		} else {
			rc = put_utf8(b, c);
		}
	}
	if (rc >= 0)
		rc = wn_buf_add(b, "\"", 1);
	return rc;
}

/* ---------------------------------------------------------------- labels */

struct label {
	char s[WN_CAPTION_LABEL_SIZE];
	int cls;		/* CAPTION_C_* */
	int idx;		/* sequence index */
	int letter;		/* leading letter (or 0) */
	int sub;		/* roman or digit suffix value, 0 if none */
	int subroman;		/* suffix is roman */
};

static int
roman_value(const uint32_t *cp, int len)
{
	static const char *const r[] = { "i", "ii", "iii", "iv", "v", "vi",
		"vii", "viii", "ix", "x", "xi", "xii" };
	size_t k;
	int j;

	for (k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
		if ((int)strlen(r[k]) != len)
			continue;
		for (j = 0; j < len; j++)
			if (lower(cp[j]) != (uint32_t)r[k][j])
				break;
		if (j == len)
			return (int)k + 1;
	}
	return 0;
}

static int
roman_run(const uint32_t *cp, int i, int end)
{
	int j = i;

	while (j < end && (cp[j] == 'i' || cp[j] == 'v' || cp[j] == 'x') &&
			j - i < 4)
		j++;
	return j - i;
}

static void
label_text(struct label *l, const uint32_t *cp, int i, int j)
{
	struct wn_buf b;
	size_t n;

	wn_buf_init(&b, WN_CAPTION_LABEL_SIZE - 1);
	if (wn_caption_utf8(&b, cp, i, j) < 0 || b.len == 0) {
		l->s[0] = '\0';
	} else {
		n = b.len;
		memcpy(l->s, b.data, n);
		l->s[n] = '\0';
	}
	wn_buf_release(&b);
}

/*
 * Parse one label at cp[i]: "A", "a", "D1", "Ai", "ii", "12", with an
 * optional prime.  Returns the end, or -1.  The label must end a word.
 */
static int
parse_label(const uint32_t *cp, int i, int end, struct label *ret)
{
	struct label l = { .cls = -1 };
	int j = i, r;

	if (i >= end)
		return -1;
	if (is_digit(cp[j])) {
		while (j < end && is_digit(cp[j]) && j - i < 2)
			j++;
		l.cls = CAPTION_C_DIGIT;
		l.idx = (int)(cp[i] - '0');
		if (j - i == 2)
			l.idx = l.idx * 10 + (int)(cp[i + 1] - '0');
		l.idx -= 1;
		if (l.idx < 0)
			return -1;
	} else if (is_lower(cp[j])) {
		r = roman_run(cp, j, end);
		if (r >= 2 && roman_value(cp + j, r) > 0 &&
				(j + r >= end || !is_word(cp[j + r]))) {
			l.cls = CAPTION_C_ROMAN;
			l.idx = roman_value(cp + j, r) - 1;
			j += r;
		} else {
			l.cls = CAPTION_C_LOWER;
			l.letter = (int)cp[j];
			l.idx = (int)(cp[j] - 'a');
			j++;
			if (j < end && is_digit(cp[j])) {
				l.sub = (int)(cp[j] - '0');
				j++;
			}
		}
	} else if (is_upper(cp[j])) {
		l.cls = CAPTION_C_UPPER;
		l.letter = (int)cp[j];
		l.idx = (int)(cp[j] - 'A');
		j++;
		if (j < end && is_digit(cp[j])) {
			l.sub = (int)(cp[j] - '0');
			j++;
			if (j < end && is_digit(cp[j]))
				return -1;
		} else if (j < end && (r = roman_run(cp, j, end)) > 0 &&
				roman_value(cp + j, r) > 0 &&
				(j + r >= end || !is_word(cp[j + r]))) {
			l.sub = roman_value(cp + j, r);
			l.subroman = 1;
			j += r;
		}
	} else {
		return -1;
	}
	if (j < end && is_prime(cp[j]))
		j++;
	if (j < end && is_word(cp[j]))
		return -1;
	label_text(&l, cp, i, j);
	if (l.s[0] == '\0')
		return -1;
	*ret = l;
	return j;
}

/* A single "i", "v" or "x" read as a roman numeral. */
static int
as_roman(struct label *l)
{
	static const char r[] = "ivx";
	static const int val[] = { 0, 4, 9 };
	const char *p;

	if (l->cls != CAPTION_C_LOWER || l->sub != 0 || l->s[1] != '\0' ||
			(p = strchr(r, l->s[0])) == NULL || l->s[0] == '\0')
		return 0;
	l->cls = CAPTION_C_ROMAN;
	l->idx = val[p - r];
	l->letter = 0;
	return 1;
}

static const char *const pos_words[] = { "left", "right", "top", "bottom",
	"upper", "lower", "middle", "center", "centre" };

/* Case-insensitive match of an ASCII word at cp[i] (whole word). */
static int
match_word(const uint32_t *cp, int i, int end, const char *w)
{
	int k = 0;

	while (w[k] != '\0') {
		if (i + k >= end || lower(cp[i + k]) != (uint32_t)w[k])
			return 0;
		k++;
	}
	if (i + k < end && is_word(cp[i + k]))
		return 0;
	return k;
}

static int
match_pos_word(const uint32_t *cp, int i, int end, const char **ret_w)
{
	size_t k;
	int m;

	for (k = 0; k < sizeof(pos_words) / sizeof(pos_words[0]); k++) {
		m = match_word(cp, i, end, pos_words[k]);
		if (m > 0) {
			*ret_w = pos_words[k];
			return m;
		}
	}
	return 0;
}

static int
skip_spaces(const uint32_t *cp, int i, int end)
{
	while (i < end && is_space(cp[i]))
		i++;
	return i;
}

/* ------------------------------------------------------------ candidates */

struct cands {
	struct wn_caption_cand *v;	/* owned */
	size_t n, cap;
};

static int
cand_add_label(struct wn_caption_cand *c, const char *s)
{
	int k;

	for (k = 0; k < c->nlabels; k++)
		if (strcmp(c->labels[k], s) == 0)
			return 0;
	if (c->nlabels >= WN_CAPTION_MAX_LABELS)
		return -1;
	memcpy(c->labels[c->nlabels], s, strlen(s) + 1);
	c->nlabels++;
	return 0;
}

/* Add the labels from a to b inclusive ("A-C", "Ai-iii", "D1-D3"). */
static int
cand_add_range(struct wn_caption_cand *c, const struct label *a,
	       const struct label *b)
{
	int k, lo, hi;
	char s[WN_CAPTION_LABEL_SIZE];
	static const char *const rom[] = { "", "i", "ii", "iii", "iv", "v",
		"vi", "vii", "viii", "ix", "x", "xi", "xii" };

	if (a->cls == b->cls && a->sub == 0 && b->sub == 0 &&
			(a->cls == CAPTION_C_UPPER ||
			 a->cls == CAPTION_C_LOWER) &&
			strlen(a->s) == 1 && strlen(b->s) == 1) {
		if (b->idx <= a->idx || b->idx - a->idx > 25)
			return -1;
		for (k = a->idx; k <= b->idx; k++) {
			s[0] = (char)(a->letter + (k - a->idx));
			s[1] = '\0';
			if (cand_add_label(c, s) < 0)
				return -1;
		}
		return 0;
	}
	if (a->cls == b->cls && (a->cls == CAPTION_C_ROMAN ||
			a->cls == CAPTION_C_DIGIT)) {
		if (b->idx <= a->idx || b->idx - a->idx > 25)
			return -1;
		for (k = a->idx; k <= b->idx; k++) {
			if (a->cls == CAPTION_C_ROMAN)
				snprintf(s, sizeof(s), "%s", rom[k + 1 <= 12 ?
						k + 1 : 12]);
			else
				snprintf(s, sizeof(s), "%d", k + 1);
			if (cand_add_label(c, s) < 0)
				return -1;
		}
		return 0;
	}
	/* "Ai-ii", "Ai-Aiii" (roman suffix), "D1-3", "D1-D3" (digits) */
	if (a->letter != 0 && a->sub > 0) {
		lo = a->sub;
		if (b->cls == CAPTION_C_ROMAN && a->subroman)
			hi = b->idx + 1;
		else if (b->cls == CAPTION_C_DIGIT && !a->subroman)
			hi = b->idx + 1;
		else if (b->letter == a->letter && b->subroman == a->subroman &&
				b->sub > 0)
			hi = b->sub;
		else
			return -1;
		if (hi <= lo || hi > 12)
			return -1;
		for (k = lo; k <= hi; k++) {
			if (a->subroman)
				snprintf(s, sizeof(s), "%c%s", a->letter,
						rom[k]);
			else
				snprintf(s, sizeof(s), "%c%d", a->letter, k);
			if (cand_add_label(c, s) < 0)
				return -1;
		}
		return 0;
	}
	return -1;
}

/* Separator between list items (",", ";", "and", "&", "/"): end or -1. */
static int
parse_list_sep(const uint32_t *cp, int i, int end, int allow_and)
{
	int j = skip_spaces(cp, i, end), m;

	if (j < end && (cp[j] == ',' || cp[j] == ';' || cp[j] == '&' ||
			cp[j] == '/')) {
		j = skip_spaces(cp, j + 1, end);
		if (allow_and && (m = match_word(cp, j, end, "and")) > 0)
			j = skip_spaces(cp, j + m, end);
		return j;
	}
	if (allow_and && j > i && (m = match_word(cp, j, end, "and")) > 0)
		return skip_spaces(cp, j + m, end);
	return -1;
}

/* Range separator: a dash, "~", or " to ".  Returns the end or -1. */
static int
parse_range_sep(const uint32_t *cp, int i, int end)
{
	int j = skip_spaces(cp, i, end), m;

	if (j < end && is_dash(cp[j]))
		return skip_spaces(cp, j + 1, end);
	if (j > i && (m = match_word(cp, j, end, "to")) > 0)
		return skip_spaces(cp, j + m, end);
	return -1;
}

/*
 * Parse a label list "A", "A-C", "A, B", "A-B, E-F", "d,e", "D and E" from
 * cp[i].  Returns the end of the last label, or -1.  Fills c's labels, class
 * and sequence range.
 */
static int
parse_label_list(const uint32_t *cp, int i, int end, int allow_and,
		int max_items, struct wn_caption_cand *c, int *ret_range)
{
	struct label a, b;
	int j, k, items = 0, range = 0, last_end = -1;

	c->nlabels = 0;
	c->first = c->last = -1;
	c->cls = -1;
	j = i;
	for (;;) {
		k = parse_label(cp, j, end, &a);
		if (k < 0)
			return -1;
		if (c->cls < 0)
			c->cls = a.cls;
		else if (c->cls != a.cls)
			return -1;
		j = k;
		k = parse_range_sep(cp, j, end);
		if (k >= 0 && parse_label(cp, k, end, &b) >= 0) {
			int k2 = parse_label(cp, k, end, &b);

			if (b.cls == CAPTION_C_ROMAN && as_roman(&a) &&
					c->cls == CAPTION_C_LOWER && items == 0)
				c->cls = CAPTION_C_ROMAN;

			if (cand_add_range(c, &a, &b) < 0)
				return -1;
			range = 1;
			if (c->first < 0)
				c->first = a.idx;
			c->last = b.cls == a.cls ? b.idx : a.idx;
			j = k2;
		} else {
			if (cand_add_label(c, a.s) < 0)
				return -1;
			if (c->first < 0)
				c->first = a.idx;
			c->last = a.idx > c->last ? a.idx : c->last;
		}
		if (c->first > c->last)
			c->last = c->first;
		last_end = j;
		if (++items >= max_items)
			break;
		k = parse_list_sep(cp, j, end, allow_and);
		if (k < 0)
			break;
		if (parse_label(cp, k, end, &a) < 0)
			break;
		j = k;
	}
	*ret_range = range;
	return last_end;
}

static int
cands_push(struct cands *cs, const struct wn_caption_cand *c)
{
	if (cs->n >= WN_CAPTION_MAX_CANDS)
		return 0;
	if (cs->n == cs->cap) {
		size_t nc = cs->cap ? cs->cap * 2 : 32;
		struct wn_caption_cand *v = realloc(cs->v, nc * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		cs->v = v;
		cs->cap = nc;
	}
	cs->v[cs->n++] = *c;
	return 0;
}

/* Matching ')' of the '(' at i, within 48 code points, no nesting; or -1. */
static int
close_paren(const uint32_t *cp, int i, int end)
{
	uint32_t open = cp[i], close = open == '(' ? ')' : ']';
	int j;

	for (j = i + 1; j < end && j - i <= 48; j++) {
		if (cp[j] == close)
			return j;
		if (cp[j] == '(' || cp[j] == '[' || cp[j] == ')' ||
				cp[j] == ']')
			return -1;
	}
	return -1;
}

/* Content of "(...)" at i as labels or position words; end after ')' or -1. */
static int
parse_paren(const uint32_t *cp, int i, int end, struct wn_caption_cand *c)
{
	const char *w;
	int j, k, m, range = 0;
	struct wn_caption_cand t = { 0 };

	j = close_paren(cp, i, end);
	if (j < 0)
		return -1;
	k = skip_spaces(cp, i + 1, j);
	m = parse_label_list(cp, k, j, 1, 16, &t, &range);
	if (m >= 0 && skip_spaces(cp, m, j) == j) {
		t.type = CAPTION_T_PAREN;
		t.start = i;
		t.end = j + 1;
		*c = t;
		return j + 1;
	}
	/* position words: "(left)", "(top panels)", "(upper right)" */
	m = match_pos_word(cp, k, j, &w);
	if (m == 0 || cp[i] != '(')
		return -1;
	memset(&t, 0, sizeof(t));
	t.cls = CAPTION_C_POS;
	t.first = t.last = -1;
	t.type = CAPTION_T_POS_PAREN;
	if (cand_add_label(&t, w) < 0)
		return -1;
	k = skip_spaces(cp, k + m, j);
	if (k < j && match_pos_word(cp, k, j, &w) > 0)
		k = skip_spaces(cp, k + match_pos_word(cp, k, j, &w), j);
	if (k < j && ((m = match_word(cp, k, j, "panel")) > 0 ||
			(m = match_word(cp, k, j, "panels")) > 0 ||
			(m = match_word(cp, k, j, "row")) > 0 ||
			(m = match_word(cp, k, j, "column")) > 0 ||
			(m = match_word(cp, k, j, "image")) > 0 ||
			(m = match_word(cp, k, j, "images")) > 0))
		k = skip_spaces(cp, k + m, j);
	if (k != j)
		return -1;
	t.start = i;
	t.end = j + 1;
	*c = t;
	return j + 1;
}

/* Is position i the first non-space after the caption start or after
 * sentence-ending punctuation (".", "!", "?", ";", ":")? */
static int
after_boundary(const uint32_t *cp, int i)
{
	int p = i - 1;

	while (p >= 0 && (is_space(cp[p]) || cp[p] == 0xfeff))
		p--;
	if (p < 0)
		return 1;
	return cp[p] == '.' || cp[p] == '!' || cp[p] == '?' || cp[p] == ';' ||
		cp[p] == ':';
}

/*
 * "(A)", "(A-C)", "(left)", and groups joined by "and", a dash or a comma:
 * "(B) and (E)", "(H)-(J)".  1 and *ret if found at i, else 0.
 */
static int
cand_paren(const uint32_t *cp, int i, int n, struct wn_caption_cand *ret)
{
	struct wn_caption_cand c = { 0 }, d, r;
	struct label a, b;
	int j, k, s, m, dash;

	j = parse_paren(cp, i, n, &c);
	if (j < 0)
		return 0;
	if (cp[i] == '[' && c.cls == CAPTION_C_DIGIT)
		return 0;		/* citation "[12]" */
	while (c.cls != CAPTION_C_POS) {
		dash = 0;
		s = skip_spaces(cp, j, n);
		if (s < n && is_dash(cp[s])) {
			dash = 1;
			s = skip_spaces(cp, s + 1, n);
		} else if ((k = parse_list_sep(cp, j, n, 1)) >= 0) {
			s = k;
		} else if (s > j && (m = match_word(cp, s, n, "or")) > 0) {
			s = skip_spaces(cp, s + m, n);
		} else {
			break;
		}
		if (s >= n || cp[s] != '(')
			break;
		memset(&d, 0, sizeof(d));
		k = parse_paren(cp, s, n, &d);
		if (k < 0 || d.cls != c.cls)
			break;
		if (dash && c.nlabels == 1 && d.nlabels == 1) {
			k = skip_spaces(cp, d.start + 1, n);
			m = skip_spaces(cp, c.start + 1, n);
			if (parse_label(cp, m, n, &a) < 0 ||
					parse_label(cp, k, n, &b) < 0)
				break;
			r = c;
			r.nlabels = 0;
			if (cand_add_range(&r, &a, &b) < 0)
				break;
			c = r;
		} else {
			for (m = 0; m < d.nlabels; m++)
				if (cand_add_label(&c, d.labels[m]) < 0)
					break;
		}
		if (d.last > c.last)
			c.last = d.last;
		c.type = CAPTION_T_PAREN_JOIN;
		c.end = k;
		j = k;
	}
	*ret = c;
	return 1;
}

/* A noun after a position word: "Top panel", "Upper row", "left part". */
static int
pos_noun(const uint32_t *cp, int k, int n)
{
	static const char *const nouns[] = { "panel", "panels", "row",
		"column", "image", "images", "graph", "part" };
	size_t a;
	int m;

	for (a = 0; a < sizeof(nouns) / sizeof(nouns[0]); a++)
		if ((m = match_word(cp, k, n, nouns[a])) > 0)
			return m;
	return 0;
}

/* Sentence-level position words: "Left:", "The top panel shows". */
static int
cand_pos_word(const uint32_t *cp, int i, int n, struct wn_caption_cand *ret)
{
	struct wn_caption_cand c = { 0 };
	const char *w, *w2;
	int s = i, m, e, k;

	if ((m = match_word(cp, s, n, "the")) > 0 ||
			(m = match_word(cp, s, n, "in")) > 0)
		s = skip_spaces(cp, s + m, n);
	if (s > i && (m = match_word(cp, s, n, "the")) > 0)
		s = skip_spaces(cp, s + m, n);
	if ((m = match_pos_word(cp, s, n, &w)) == 0)
		return 0;
	e = s + m;
	c.cls = CAPTION_C_POS;
	c.first = c.last = -1;
	c.type = CAPTION_T_POS_WORD;
	(void)cand_add_label(&c, w);
	k = skip_spaces(cp, e, n);
	if (k < n && (m = match_pos_word(cp, k, n, &w2)) > 0)
		e = k + m;
	k = skip_spaces(cp, e, n);
	if (k < n && (m = pos_noun(cp, k, n)) > 0)
		e = k + m;
	if (e < n && (cp[e] == ':' || cp[e] == ','))
		e++;
	c.start = i;
	c.end = e;
	*ret = c;
	return 1;
}

/* "Panel A: Text", "Panels B and C show ..." at a sentence start. */
static int
cand_panel_word(const uint32_t *cp, int i, int n, struct wn_caption_cand *ret)
{
	struct wn_caption_cand c = { 0 };
	int j, k, m, range;

	if ((m = match_word(cp, i, n, "panel")) == 0 &&
			(m = match_word(cp, i, n, "panels")) == 0)
		return 0;
	k = skip_spaces(cp, i + m, n);
	if (k == i + m)
		return 0;
	j = parse_label_list(cp, k, n, 1, 8, &c, &range);
	if (j <= 0 || c.cls == CAPTION_C_DIGIT)
		return 0;
	if (j + 1 < n && (cp[j] == ':' || cp[j] == ',' || cp[j] == '.') &&
			is_space(cp[j + 1])) {
		c.type = CAPTION_T_BARE_COLON;
		c.end = j + 1;
	} else {
		c.type = CAPTION_T_BARE;
		c.end = j;
	}
	c.start = i;
	*ret = c;
	return 1;
}

/* Half parenthesis: "a) Text". */
static int
cand_half(const uint32_t *cp, int i, int n, struct wn_caption_cand *ret)
{
	struct wn_caption_cand c = { 0 };
	struct label l;
	int k;

	k = parse_label(cp, i, n, &l);
	if (k <= 0 || k >= n || cp[k] != ')' || l.cls == CAPTION_C_DIGIT ||
			(k + 1 < n && !is_space(cp[k + 1])))
		return 0;
	c.type = CAPTION_T_HALF;
	c.cls = l.cls;
	c.first = c.last = l.idx;
	(void)cand_add_label(&c, l.s);
	c.start = i;
	c.end = k + 1;
	*ret = c;
	return 1;
}

/* Bare labels: "a Text", "a, b Text", "c-e Text", "A, Text", "A: Text",
   "c,d, Text", "a | Text". */
static int
cand_bare(const uint32_t *cp, int i, int n, struct wn_caption_cand *ret)
{
	struct wn_caption_cand c = { 0 };
	int k, nx, range, start = after_boundary(cp, i);

	if (!is_alpha(cp[i]))
		return 0;
	k = parse_label_list(cp, i, n, 1, 8, &c, &range);
	if (k < 0 || c.cls == CAPTION_C_DIGIT)
		return 0;
	if (start && k + 2 < n && is_space(cp[k]) && cp[k + 1] == '|' &&
			is_space(cp[k + 2])) {
		c.type = CAPTION_T_BARE_COLON;
		c.end = k + 2;
	} else if (k + 1 < n && (cp[k] == ',' || cp[k] == ':' ||
			cp[k] == '.') && is_space(cp[k + 1]) &&
			(c.nlabels == 1 || start)) {
		nx = skip_spaces(cp, k + 1, n);
		if (nx >= n || !is_word(cp[nx]))
			return 0;
		c.type = cp[k] == ',' ? CAPTION_T_BARE_COMMA :
			CAPTION_T_BARE_COLON;
		c.end = k + 1;
	} else if (start && k < n && is_space(cp[k])) {
		nx = skip_spaces(cp, k, n);
		if (nx >= n || !(is_word(cp[nx]) || cp[nx] == '('))
			return 0;
		/* "A previous model": the article, not a label */
		if (c.nlabels == 1 && (cp[i] == 'a' || cp[i] == 'A' ||
				cp[i] == 'I') && is_lower(cp[nx]))
			return 0;
		c.type = CAPTION_T_BARE;
		c.end = k;
	} else if (k < n && cp[k] == ':' && c.nlabels > 1) {
		c.type = CAPTION_T_BARE_COLON;
		c.end = k + 1;
	} else {
		return 0;
	}
	/* mid-sentence bare markers only as "A, Text" */
	if (!start && c.type != CAPTION_T_BARE_COMMA)
		return 0;
	c.start = i;
	*ret = c;
	return 1;
}

static int
find_candidates(const uint32_t *cp, int n, struct cands *cs)
{
	struct wn_caption_cand c;
	uint32_t p;
	int i, rc, found;

	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		if (cp[i] == '(' || cp[i] == '[') {
			found = cand_paren(cp, i, n, &c);
		} else if (!is_alpha(cp[i]) && !is_digit(cp[i])) {
			continue;
		} else {
			/* labels start words: not "B" of "SU(Z)12B" or "3-a" */
			p = i > 0 ? cp[i - 1] : ' ';
			if (is_word(p) || is_dash(p) || is_prime(p) ||
					p == '.' || p == '/' || p == '(' ||
					p == '[' || p == '+')
				continue;
			found = 0;
			if (after_boundary(cp, i) && is_alpha(cp[i]))
				found = cand_pos_word(cp, i, n, &c) ||
					cand_panel_word(cp, i, n, &c);
			if (!found)
				found = cand_half(cp, i, n, &c) ||
					cand_bare(cp, i, n, &c);
		}
		if (!found)
			continue;
		rc = cands_push(cs, &c);
		if (rc < 0)
			return rc;
		i = c.end - 1;
	}
	return 0;
}

/*
 * With roman labels in the caption ("(ii)", "(iv)"), single "(i)", "(v)" and
 * "(x)" are roman numerals too.
 */
static void
fix_roman(struct cands *cs)
{
	size_t i;
	int roman = 0;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].cls == CAPTION_C_ROMAN)
			roman = 1;
	if (!roman)
		return;
	for (i = 0; i < cs->n; i++) {
		struct wn_caption_cand *c = &cs->v[i];
		struct label l = { 0 };

		if (c->cls != CAPTION_C_LOWER || c->nlabels != 1)
			continue;
		memcpy(l.s, c->labels[0], sizeof(l.s));
		l.cls = c->cls;
		if (as_roman(&l)) {
			c->cls = CAPTION_C_ROMAN;
			c->first = c->last = l.idx;
		}
	}
}

int
wn_caption_candidates(const uint32_t *cp, size_t ncp,
		      struct wn_caption_cand **ret_v,
		      size_t *ret_n)
{
	struct cands cs = { 0 };
	int rc;

	if (ncp > WN_CAPTION_MAX_BYTES)
		return -WN_ETOOBIG;
	rc = find_candidates(cp, (int)ncp, &cs);
	if (rc < 0) {
		free(cs.v);
		return rc;
	}
	fix_roman(&cs);
	*ret_v = cs.v;
	*ret_n = cs.n;
	return 0;
}

/* ------------------------------------------------------------ sentences */

static const char *const abbrevs[] = { "fig", "figs", "al", "e.g", "i.e",
	"eg", "ie", "vs", "ca", "approx", "cf", "no", "nos", "ref", "refs",
	"st", "dr", "sp", "spp", "resp", "var", "subsp", "ed", "eq", "mr",
	"mrs", "ms", "prof", "inc", "ltd", "co", "cv", "ssp" };

/*
 * Mark sentence starts: after ".", "!" or "?" and space(s), before an
 * upper-case letter, a digit, "(" or a non-ASCII character, unless the
 * period ends a known abbreviation or an initial.
 */
static void
find_sentences(const uint32_t *cp, int n, unsigned char *start)
{
	int i, j, k, p;

	memset(start, 0, (size_t)n + 1);
	i = skip_spaces(cp, 0, n);
	start[i] = 1;
	for (i = 0; i < n; i++) {
		uint32_t c = cp[i];

		if (c != '.' && c != '!' && c != '?')
			continue;
		j = i + 1;
		while (j < n && (cp[j] == ')' || cp[j] == '"' ||
				cp[j] == 0x201d || cp[j] == 0x2019))
			j++;
		if (j >= n)
			continue;
		/* "adjacent MTs.Cryo-EM": a space lost in the source */
		if (!is_space(cp[j]) && !(c == '.' && j == i + 1 && i >= 2 &&
				is_lower(cp[i - 1]) && is_word(cp[i - 2]) &&
				is_upper(cp[j]) && j + 1 < n &&
				is_lower(cp[j + 1])))
			continue;
		k = skip_spaces(cp, j, n);
		if (k >= n)
			continue;
		if (!(is_upper(cp[k]) || is_digit(cp[k]) || cp[k] == '(' ||
				cp[k] == '*' || cp[k] == '#' ||
				cp[k] == 0x2020 ||
				(cp[k] >= 0x80 && is_word(cp[k]))))
			continue;
		if (c == '.') {
			char wbuf[8];
			size_t a;
			int len = 0, single_upper = 0;

			p = i - 1;
			while (p >= 0 && (is_alpha(cp[p]) || cp[p] == '.') &&
					i - p <= 7)
				p--;
			p++;
			for (j = p; j < i && len < 7; j++)
				wbuf[len++] = (char)lower(cp[j]);
			wbuf[len] = '\0';
			if (i - p == 1 && is_upper(cp[p]) && cp[k] != '(' &&
					(p == 0 || !is_word(cp[p - 1])))
				single_upper = 1;
			if (single_upper && is_upper(cp[k]) && k + 1 < n &&
					is_lower(cp[k + 1]))
				continue;	/* initial: "M. tuberculosis" */
			for (a = 0; a < NELEM(abbrevs); a++)
				if (len > 0 && strcmp(wbuf, abbrevs[a]) == 0 &&
						(p == 0 || !is_word(cp[p - 1])))
					break;
			if (a < sizeof(abbrevs) / sizeof(abbrevs[0]) &&
					strcmp(wbuf, "no") != 0)
				continue;
			if (a < sizeof(abbrevs) / sizeof(abbrevs[0]) &&
					is_digit(cp[k]))
				continue;	/* "no. 3" */
		}
		start[k] = 1;
	}
}

/* ------------------------------------------------------------- features */

static const char *const func_words[] = { "of", "for", "and", "or", "the",
	"in", "with", "to", "from", "between", "at", "by", "on", "showing",
	"show", "shows", "while", "whereas", "but", "as", "vs", "versus",
	"after", "before", "including", "is", "are", "was", "were", "a",
	"an", "both", "either", "also", "then", "into", "than", "under",
	"over", "via", "using", "respectively", "which", "that", "where" };

static const char *const ref_words[] = { "fig", "figs", "figure",
	"figures", "panel", "panels", "see", "cf", "table", "supplementary",
	"in", "from", "as", "of" };

/* Lower-case ASCII word ending just before position e (after spaces). */
static int
prev_word(const uint32_t *cp, int e, char *buf, int size, int *ret_start)
{
	int p = e - 1, q, len = 0;

	while (p >= 0 && is_space(cp[p]))
		p--;
	q = p;
	while (q >= 0 && is_word(cp[q]))
		q--;
	q++;
	if (q > p)
		return 0;
	for (; q <= p && len < size - 1; q++)
		buf[len++] = cp[q] < 0x80 ? (char)lower(cp[q]) : '?';
	buf[len] = '\0';
	if (ret_start)
		*ret_start = p - (len - 1);
	return len;
}

static int
word_in(const char *w, const char *const *list, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(w, list[k]) == 0)
			return 1;
	return 0;
}


enum {
	F_BIAS = 0,
	F_TYPE = 1,			/* 8 types */
	F_CLASS = F_TYPE + CAPTION_NTYPES,	/* 5 classes */
	F_MULTI = F_CLASS + CAPTION_NCLASSES,
	F_RANGE,
	F_P_START, F_P_SENT, F_P_SEMI, F_P_COLON, F_P_COMMA, F_P_FUNC,
	F_P_CONTENT, F_P_OPEN, F_P_ADJ, F_P_REF, F_P_OTHER,
	F_N_END, F_N_UPPER, F_N_LOWER, F_N_FUNC, F_N_DIGIT, F_N_COMMA,
	F_N_PERIOD, F_N_SEMI, F_N_COLON, F_N_CLOSE, F_N_HYPHEN_ADJ,
	F_N_DASH, F_N_OTHER, F_N_NONASCII, F_N_OPEN,
	F_DEPTH, F_ARTICLE, F_POS_NOUN, F_AFTER_MARK,
	F_STYLE, F_STYLE_MANY,
	F_S_FIRST0, F_S_FIRSTN, F_S_NEXT, F_S_GROUP, F_S_SEEN, F_S_JUMP,
	F_S_BACK, F_S_CLS, F_S_TYPE, F_S_NEXT_SAME, F_S_JUMPSIZE,
	F_SENT_HAS_MARK, F_LATE_LETTER, F_SINGLE_CAND,
	F_AHEAD_NEXT, F_AHEAD_RUN, F_AHEAD_SAME_TYPE,
	F_X_MID_PREFIX, F_X_POSTFIX, F_X_START, F_X_GROUP_MID,
	F_COUNT
};

#if F_COUNT > WN_CAPTION_NFEAT
#error "WN_CAPTION_NFEAT too small"
#endif

struct seqstate {
	int nacc;
	int first_cls, first_type;
	int last_min, last_max, last_type, last_end;
	int g_min, g_max, g_next;	/* group header (g_next -1: none) */
	uint64_t seen[CAPTION_NCLASSES];
	int sent_marked;		/* sentence of the last accepted */
};

static int
lab_seen(const struct seqstate *st, const struct wn_caption_cand *c)
{
	int k;

	if (c->cls < 0 || c->cls == CAPTION_C_POS || c->first < 0)
		return 0;
	for (k = c->first; k <= c->last && k < 64; k++)
		if (!(st->seen[c->cls] & ((uint64_t)1 << k)))
			return 0;
	return 1;
}

struct ctx {
	const uint32_t *cp;
	int n;
	unsigned char *sent;	/* sentence starts */
	int *sent_of;		/* start of the sentence of each position */
	int *depth;		/* open-parenthesis depth at each position */
	int style[CAPTION_NTYPES];	/* candidates per type at boundaries */
};

/* Marker style family: "(A)" and "(A) and (B)" are one style. */
static int
family(int type)
{
	switch (type) {
	case CAPTION_T_PAREN:
	case CAPTION_T_PAREN_JOIN:
		return 0;
	case CAPTION_T_HALF:
		return 1;
	case CAPTION_T_BARE:
	case CAPTION_T_BARE_COMMA:
	case CAPTION_T_BARE_COLON:
		return 2;
	case CAPTION_T_POS_PAREN:
		return 3;
	default:
		return 4;
	}
}

/* Later candidates that continue the sequence from c (A, then B, then C). */
static void
lookahead(const struct wn_caption_cand *v, size_t n, size_t i, double *f)
{
	const struct wn_caption_cand *c = &v[i];
	int want = c->last + 1, run = 0, same = 0;
	size_t j;

	if (c->cls < 0 || c->cls == CAPTION_C_POS || c->first < 0)
		return;
	for (j = i + 1; j < n && j < i + 64; j++) {
		if (v[j].cls != c->cls || v[j].first != want)
			continue;
		if (run == 0 && family(v[j].type) == family(c->type))
			same = 1;
		run++;
		want = v[j].last + 1;
	}
	f[F_AHEAD_NEXT] = run > 0;
	f[F_AHEAD_RUN] = run >= 4 ? 1 : run / 4.0;
	f[F_AHEAD_SAME_TYPE] = same;
}

static void
features(const struct ctx *x, const struct wn_caption_cand *c,
	 const struct seqstate *st, int ncands, double *f)
{
	const uint32_t *cp = x->cp;
	int n = x->n, p, q, nx, ws;
	char w[24];

	memset(f, 0, sizeof(double) * WN_CAPTION_NFEAT);
	f[F_BIAS] = 1;
	f[F_TYPE + c->type] = 1;
	if (c->cls >= 0)
		f[F_CLASS + c->cls] = 1;
	f[F_MULTI] = c->nlabels > 1;
	f[F_RANGE] = c->nlabels > 2 || (c->nlabels == 2 && c->last -
			c->first == 1 && c->type == CAPTION_T_PAREN);

	/* before */
	p = c->start - 1;
	if (p >= 0 && !is_space(cp[p]) && cp[p] != '(' && cp[p] != '[')
		f[F_P_ADJ] = 1;
	q = p;
	while (q >= 0 && (is_space(cp[q]) || cp[q] == 0xfeff))
		q--;
	if (q < 0) {
		f[F_P_START] = 1;
	} else if (cp[q] == '.' || cp[q] == '!' || cp[q] == '?') {
		f[F_P_SENT] = 1;
	} else if (cp[q] == ';') {
		f[F_P_SEMI] = 1;
	} else if (cp[q] == ':') {
		f[F_P_COLON] = 1;
	} else if (cp[q] == ',') {
		f[F_P_COMMA] = 1;
	} else if (cp[q] == '(' || cp[q] == '[') {
		f[F_P_OPEN] = 1;
	} else if (is_word(cp[q]) &&
			prev_word(cp, c->start, w, sizeof(w), &ws) > 0) {
		if (word_in(w, func_words, NELEM(func_words)))
			f[F_P_FUNC] = 1;
		else
			f[F_P_CONTENT] = 1;
		if (word_in(w, ref_words, NELEM(ref_words)) &&
				!word_in(w, func_words, NELEM(func_words)))
			f[F_P_REF] = 1;
		if (strcmp(w, "in") == 0 || strcmp(w, "from") == 0 ||
				strcmp(w, "as") == 0)
			f[F_P_REF] = 0.5;
	} else {
		f[F_P_OTHER] = 1;
	}

	/* after */
	if (c->end < n && is_dash(cp[c->end]) && cp[c->end] != 0x2014)
		f[F_N_HYPHEN_ADJ] = 1;
	nx = skip_spaces(cp, c->end, n);
	if (nx >= n) {
		f[F_N_END] = 1;
	} else if (f[F_N_HYPHEN_ADJ] == 0) {
		uint32_t d = cp[nx];

		if (is_upper(d)) {
			f[F_N_UPPER] = 1;
		} else if (is_lower(d)) {
			int e = nx, len = 0;

			while (e < n && is_word(cp[e]) && len < 23) {
				w[len++] = cp[e] < 0x80 ? (char)cp[e] : '?';
				e++;
			}
			w[len] = '\0';
			/* "(b) the Ag": an article starts a list item */
			if (word_in(w, func_words, NELEM(func_words)) &&
					strcmp(w, "the") != 0 &&
					strcmp(w, "a") != 0 &&
					strcmp(w, "an") != 0)
				f[F_N_FUNC] = 1;
			else
				f[F_N_LOWER] = 1;
		} else if (is_digit(d)) {
			f[F_N_DIGIT] = 1;
		} else if (d == ',') {
			f[F_N_COMMA] = 1;
		} else if (d == '.') {
			f[F_N_PERIOD] = 1;
		} else if (d == ';') {
			f[F_N_SEMI] = 1;
		} else if (d == ':') {
			f[F_N_COLON] = 1;
		} else if (d == ')' || d == ']') {
			f[F_N_CLOSE] = 1;
		} else if (is_dash(d)) {
			f[F_N_DASH] = 1;
		} else if (d == '(' || d == '[') {
			f[F_N_OPEN] = 1;
		} else if (d >= 0x80 && is_word(d)) {
			f[F_N_NONASCII] = 1;
		} else {
			f[F_N_OTHER] = 1;
		}
	}
	f[F_DEPTH] = c->start < n && x->depth[c->start] > 0;
	if ((c->type == CAPTION_T_BARE || c->type == CAPTION_T_BARE_COMMA) &&
			c->nlabels == 1 && (strcmp(c->labels[0], "a") == 0 ||
			strcmp(c->labels[0], "A") == 0) &&
			(f[F_N_LOWER] || f[F_N_FUNC]))
		f[F_ARTICLE] = 1;
	if (c->cls == CAPTION_C_POS) {
		int k = c->end - 1;

		while (k > c->start && (cp[k] == ':' || cp[k] == ',' ||
				cp[k] == ')'))
			k--;
		/* ends in a noun: "panel", "panels", "row", "column"... */
		f[F_POS_NOUN] = k > c->start && c->end - c->start > 8 &&
			cp[k] != 0 && cp[k] < 0x80 &&
			strchr("lswneht", (int)cp[k]) != NULL;
	}
	if (st->nacc > 0 && c->start - st->last_end <= 2)
		f[F_AFTER_MARK] = 1;
	f[F_STYLE] = x->style[c->type] >= 2;
	f[F_STYLE_MANY] = x->style[c->type] >= 4;

	/* sequence */
	if (c->cls == CAPTION_C_POS) {
		/* position words have no order; they rarely mix with letters */
		if (st->nacc > 0 && c->cls != st->first_cls)
			f[F_S_CLS] = 1;
		if (st->nacc > 0 && family(c->type) != family(st->first_type))
			f[F_S_TYPE] = 1;
	} else if (st->nacc == 0) {
		if (c->first == 0)
			f[F_S_FIRST0] = 1;
		else
			f[F_S_FIRSTN] = 1;
	} else {
		int group = st->g_next >= 0 && c->cls == st->first_cls &&
			c->first == st->g_next && c->first <= st->g_max;
		int seen = lab_seen(st, c);

		if (group)
			f[F_S_GROUP] = 1;
		else if (c->first == st->last_max + 1)
			f[F_S_NEXT] = 1;
		else if (seen)
			f[F_S_SEEN] = 1;
		else if (c->first > st->last_max + 1) {
			int jump = c->first - st->last_max - 1;

			f[F_S_JUMP] = 1;
			f[F_S_JUMPSIZE] = jump > 5 ? 1 : jump / 5.0;
		} else
			f[F_S_BACK] = 1;
		if (f[F_S_NEXT] && family(c->type) == family(st->last_type))
			f[F_S_NEXT_SAME] = 1;
		if (c->cls != st->first_cls)
			f[F_S_CLS] = 1;
		if (family(c->type) != family(st->first_type))
			f[F_S_TYPE] = 1;
	}
	if (st->nacc > 0 && c->start < n && x->sent_of[c->start] ==
			st->sent_marked)
		f[F_SENT_HAS_MARK] = 1;
	if ((c->cls == CAPTION_C_UPPER || c->cls == CAPTION_C_LOWER) &&
			c->first >= 12 && st->nacc == 0)
		f[F_LATE_LETTER] = 1;
	f[F_SINGLE_CAND] = ncands == 1;

	/* conjunctions: the shapes of list items, postfix labels, starts */
	{
		int before_list = f[F_P_FUNC] > 0 || f[F_P_COMMA] > 0 ||
			f[F_P_SEMI] > 0 || f[F_P_COLON] > 0;
		int content_next = f[F_N_LOWER] > 0 || f[F_N_UPPER] > 0 ||
			f[F_N_DIGIT] > 0 || f[F_N_NONASCII] > 0;
		int closing_next = f[F_N_FUNC] > 0 || f[F_N_COMMA] > 0 ||
			f[F_N_PERIOD] > 0 || f[F_N_SEMI] > 0 ||
			f[F_N_CLOSE] > 0 || f[F_N_END] > 0;

		f[F_X_MID_PREFIX] = before_list && content_next;
		f[F_X_POSTFIX] = f[F_P_CONTENT] > 0 && closing_next;
		f[F_X_START] = (f[F_P_START] > 0 || f[F_P_SENT] > 0) &&
			content_next;
		f[F_X_GROUP_MID] = f[F_S_GROUP] > 0 && before_list &&
			content_next;
	}
}

static double
dot(const double *w, const double *f)
{
	double s = 0;
	int k;

	for (k = 0; k < WN_CAPTION_NFEAT; k++)
		s += w[k] * f[k];
	return s;
}

static double
sigmoid(double z)
{
	if (z > 30)
		return 1;
	if (z < -30)
		return 0;
	return 1 / (1 + exp(-z));
}

static void
seq_accept(struct seqstate *st, const struct ctx *x,
		const struct wn_caption_cand *c)
{
	int k;

	if (st->nacc == 0) {
		st->first_cls = c->cls;
		st->first_type = c->type;
	}
	st->nacc++;
	st->last_type = c->type;
	st->last_end = c->end;
	st->sent_marked = c->start < x->n ? x->sent_of[c->start] : -1;
	if (c->cls >= 0 && c->cls != CAPTION_C_POS && c->first >= 0) {
		int in_group = st->g_next >= 0 && c->first == st->g_next;

		for (k = c->first; k <= c->last && k < 64; k++)
			st->seen[c->cls] |= (uint64_t)1 << k;
		if (c->nlabels > 1 && !in_group) {
			st->g_min = c->first;
			st->g_max = c->last;
			st->g_next = c->first;
		} else if (in_group) {
			st->g_next = c->last + 1;
			if (st->g_next > st->g_max)
				st->g_next = -1;
		} else {
			st->g_next = -1;
		}
		if (!in_group || c->last > st->last_max)
			st->last_max = c->last;
		st->last_min = c->first;
		if (in_group)
			st->last_max = c->last;
	}
}

/* -------------------------------------------------------------- decoding */

/*
 * May a doubtful candidate be kept for its chain?  The first marker (p >
 * 0.1), or one that continues the sequence (p > 0.3), not shaped like a
 * postfix label ("cytoplasmic (C) and").
 */
static int
rescuable(const struct wn_caption_cand *c, const struct seqstate *st,
	  const double *f)
{
	if (c->p <= (st->nacc == 0 ? 0.1 : 0.3))
		return 0;
	if (st->nacc > 0 && f[F_S_NEXT] == 0 && f[F_S_GROUP] == 0)
		return 0;
	return f[F_X_POSTFIX] == 0 && f[F_N_FUNC] == 0;
}

/*
 * Mean log-odds of the chain that starts at v[i] and continues its sequence
 * ("(A)", then the next "(B)", ...), each member scored with the chain
 * before it accepted; 0 when no later candidate continues it.  The first
 * marker of a caption has no sequence to lean on: its chain speaks for it.
 */
static double
chain_score(const struct ctx *x, const struct wn_caption_cand *v, size_t n,
	    size_t i, const double *w, const struct seqstate *st0)
{
	struct seqstate st = *st0;
	double f[WN_CAPTION_NFEAT], sum = 0;
	size_t j;
	int len = 0;

	if (v[i].cls < 0 || v[i].cls == CAPTION_C_POS || v[i].first < 0)
		return 0;
	for (j = i; j < n && j < i + 256 && len < 32; j++) {
		if (j > i && (v[j].cls != v[i].cls ||
				v[j].first != st.last_max + 1))
			continue;
		features(x, &v[j], &st, (int)n, f);
		lookahead(v, n, j, f);
		sum += dot(w, f);
		seq_accept(&st, x, &v[j]);
		len++;
	}
	return len >= 2 ? sum / len : 0;
}

static int
decode(const struct ctx *x, struct wn_caption_cand *v, size_t n,
       const double *w, int pass, caption_oracle_fn oracle, void *octx)
{
	struct seqstate st;
	double f[WN_CAPTION_NFEAT];
	size_t i;
	int nacc = 0;

	memset(&st, 0, sizeof(st));
	st.g_next = -1;
	st.last_max = -1;
	st.sent_marked = -1;
	for (i = 0; i < n; i++) {
		struct wn_caption_cand *c = &v[i];
		int yes;

		c->pass = pass;
		if (c->skip || (st.nacc > 0 && c->start < st.last_end))
			continue;
		features(x, c, &st, (int)n, f);
		lookahead(v, n, i, f);
		c->p = sigmoid(dot(w, f));
		if (oracle != NULL)
			yes = oracle(octx, c, f);
		else
			yes = c->p > 0.5 || (rescuable(c, &st, f) &&
					chain_score(x, v, n, i, w, &st) > 0);
		if (!yes)
			continue;
		c->accepted = pass + 1;
		seq_accept(&st, x, c);
		nacc++;
	}
	return nacc;
}

/*
 * Postfix decoding: every chain of candidates that continues a sequence from
 * its first label ("(A)" ... "(B)" ..., or distinct position words) is scored
 * as a whole, each member with the state of the chain accepted before it;
 * the chain with the best total is kept if its mean log-odds is positive.
 */
static int
decode_chain(const struct ctx *x, struct wn_caption_cand *v, size_t n,
	     const double *w)
{
	double f[WN_CAPTION_NFEAT], best = 0;
	size_t i, j, best_i = n;
	int best_len = 0;

	for (i = 0; i < n; i++) {
		struct seqstate st;
		double sum = 0;
		int len = 0;

		if (v[i].cls != CAPTION_C_POS && v[i].first != 0)
			continue;
		if (v[i].type == CAPTION_T_POS_WORD)
			continue;
		memset(&st, 0, sizeof(st));
		st.g_next = -1;
		st.last_max = -1;
		st.sent_marked = -1;
		for (j = i; j < n && j < i + 256 && len < 32; j++) {
			const struct wn_caption_cand *c = &v[j];
			int k, dup = 0;

			if (c->cls != v[i].cls || c->type == CAPTION_T_POS_WORD)
				continue;
			if (j > i && c->cls != CAPTION_C_POS &&
					c->first != st.last_max + 1)
				continue;
			if (c->cls == CAPTION_C_POS) {
				for (k = (int)i; k < (int)j; k++)
					if (v[k].accepted == 3 &&
							strcmp(v[k].labels[0],
							c->labels[0]) == 0)
						dup = 1;
				if (dup)
					continue;
			}
			features(x, c, &st, (int)n, f);
			lookahead(v, n, j, f);
			sum += dot(w, f);
			seq_accept(&st, x, c);
			v[j].accepted = 3;	/* provisional */
			len++;
		}
		for (j = i; j < n && j < i + 256; j++)
			if (v[j].accepted == 3)
				v[j].accepted = 0;
		if (len >= 2 && sum / len > 0 && sum > best) {
			best = sum;
			best_i = i;
			best_len = len;
		}
	}
	if (best_i == n)
		return 0;
	/* replay the best chain to mark it */
	{
		int last = -1, len = 0;

		for (j = best_i; j < n && j < best_i + 256 && len < best_len;
				j++) {
			struct wn_caption_cand *c = &v[j];
			int k, dup = 0;

			if (c->cls != v[best_i].cls ||
					c->type == CAPTION_T_POS_WORD)
				continue;
			if (j > best_i && c->cls != CAPTION_C_POS &&
					c->first != last + 1)
				continue;
			if (c->cls == CAPTION_C_POS) {
				for (k = (int)best_i; k < (int)j; k++)
					if (v[k].accepted == 2 &&
							strcmp(v[k].labels[0],
							c->labels[0]) == 0)
						dup = 1;
				if (dup)
					continue;
			}
			c->accepted = 2;
			c->pass = 1;
			last = c->last;
			len++;
		}
		return len;
	}
}

/* ----------------------------------------------------------------- spans */

struct spans {
	struct wn_caption_span *v;	/* owned */
	size_t n, cap;
};

static int
span_push(struct spans *s, int start, int end, const struct wn_caption_cand *c,
	  const uint32_t *cp)
{
	struct wn_caption_span *sp;

	while (start < end && (is_space(cp[start]) || cp[start] == 0xfeff))
		start++;
	while (end > start && (is_space(cp[end - 1]) || cp[end - 1] == 0xfeff))
		end--;
	if (end <= start)
		return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct wn_caption_span *v = realloc(s->v, nc * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = nc;
	}
	sp = &s->v[s->n++];
	memset(sp, 0, sizeof(*sp));
	sp->start = start;
	sp->end = end;
	if (c != NULL) {
		sp->nlabels = c->nlabels;
		memcpy(sp->labels, c->labels, sizeof(sp->labels));
	}
	return 0;
}

static const char *const closing_starts[] = { "scale bar", "scale bars",
	"scale:", "bar =", "bars =", "bar,", "bars,", "bars:", "bar:",
	"bar represents", "bars represent", "bar indicates", "bars indicate",
	"see also", "see supplementary", "see figure", "additional details",
	"additional information", "abbreviations", "abbreviation", "data are",
	"data represent", "data shown", "values are", "results are",
	"error bars", "presented are", "electron dose", "all images",
	"all panels", "in all panels", "for all panels", "note:",
	"source data", "asterisk", "asterisks", "arrowhead", "arrowheads",
	"images are representative", "micrographs are representative",
	"magnification", "original magnification", "each dot", "each symbol",
	"each point", "symbols:", "key:" };

/* Does the sentence at s look like the start of a figure-wide closing? */
static int
closing_start(const uint32_t *cp, int s, int e)
{
	char buf[40];
	int len = 0, i = s, k, m, upper = 0;
	size_t a;

	if ((m = match_word(cp, i, e, "the")) > 0)
		i = skip_spaces(cp, i + m, e);
	for (k = i; k < e && len < (int)sizeof(buf) - 1; k++)
		buf[len++] = cp[k] < 0x80 ? (char)lower(cp[k]) : '?';
	buf[len] = '\0';
	for (a = 0; a < NELEM(closing_starts); a++)
		if (strncmp(buf, closing_starts[a],
				strlen(closing_starts[a])) == 0)
			return 1;
	/* glossary: "AACT, acetyl-CoA ...;" "CI: confidence interval." */
	for (k = s; k < e && !is_space(cp[k]) && cp[k] != ':'; k++) {
		if (cp[k] == ',' && k + 1 < e && is_space(cp[k + 1]))
			break;
		if (is_upper(cp[k]))
			upper++;
	}
	if (upper >= 2 && k - s >= 2 && k < e &&
			(cp[k] == ',' || cp[k] == ':')) {
		int semi = 0;

		for (m = k; m < e; m++)
			if (cp[m] == ';')
				semi++;
		if (semi >= 1 || cp[k] == ':')
			return 1;
	}
	return 0;
}

static int
same_labels(const struct wn_caption_span *a, const struct wn_caption_span *b)
{
	int i, j;

	if (a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < b->nlabels; i++) {
		for (j = 0; j < a->nlabels; j++)
			if (strcmp(a->labels[j], b->labels[i]) == 0)
				break;
		if (j == a->nlabels)
			return 0;
	}
	return 1;
}

static void
span_union(struct wn_caption_span *u, const struct wn_caption_cand *c)
{
	int k, j;

	for (k = 0; k < c->nlabels; k++) {
		for (j = 0; j < u->nlabels; j++)
			if (strcmp(u->labels[j], c->labels[k]) == 0)
				break;
		if (j == u->nlabels && u->nlabels < WN_CAPTION_MAX_LABELS) {
			memcpy(u->labels[u->nlabels], c->labels[k],
					WN_CAPTION_LABEL_SIZE);
			u->nlabels++;
		}
	}
}

/* Where a closing shared block starts after position from, or n. */
static int
closing_block(const struct ctx *x, int from)
{
	int i;

	for (i = from + 1; i < x->n; i++)
		if (x->sent[i] && closing_start(x->cp, i, x->n))
			return i;
	return x->n;
}

/* Does the text before position i end in a word that leads into a list? */
static int
lead_in(const uint32_t *cp, int i)
{
	char w[24];
	int p = i - 1;

	while (p >= 0 && is_space(cp[p]))
		p--;
	if (p < 0)
		return 0;
	if (cp[p] == ':' || cp[p] == ',' || cp[p] == ';' || is_dash(cp[p]))
		return 1;
	if (prev_word(cp, i, w, sizeof(w), NULL) == 0)
		return 0;
	return word_in(w, func_words, NELEM(func_words)) ||
		strcmp(w, "showing") == 0 ||
		strcmp(w, "depicting") == 0 || strcmp(w, "comparing") == 0;
}

/* Are the labels of the markers in the sentence at s, from i on, all
   labels of the group header g? */
static int
covered(const struct wn_caption_cand *g, struct wn_caption_cand **m, int i,
		int k, const struct ctx *x, int s)
{
	int j, a, b;

	for (j = i; j < k && x->sent_of[m[j]->start] == s; j++)
		for (a = 0; a < m[j]->nlabels; a++) {
			for (b = 0; b < g->nlabels; b++)
				if (strcmp(m[j]->labels[a], g->labels[b]) == 0)
					break;
			if (b == g->nlabels)
				return 0;
		}
	return 1;
}

static int
build_prefix(const struct ctx *x, struct wn_caption_cand **m, int k,
	     struct spans *subs, struct spans *shared)
{
	struct wn_caption_span all = { 0 };
	int i, j, rc = 0, cl;
	int *hstart;

	hstart = malloc(sizeof(int) * (size_t)(k + 1));
	if (hstart == NULL)
		return -ENOMEM;
	for (i = 0; i < k; i++)
		span_union(&all, m[i]);
	/* head of a sentence that introduces markers mid-way */
	for (i = 0; i < k; i++) {
		int s = x->sent_of[m[i]->start];

		hstart[i] = -1;
		if (m[i]->type == CAPTION_T_POS_WORD || s >= m[i]->start)
			continue;
		if (i > 0 && m[i - 1]->start >= s)
			continue;
		for (j = s; j < m[i]->start; j++)
			if (is_word(x->cp[j]))
				break;
		if (j >= m[i]->start)
			continue;
		/* "... images of (A)", "... for: (A)": the head leads into
		   the markers; "... shown (I-L) Results" lacks a period */
		if (!lead_in(x->cp, m[i]->start))
			continue;
		/* the text still belongs to a group header that covers these */
		if (i > 0 && m[i - 1]->nlabels > 1 && covered(m[i - 1], m, i, k,
				x, s))
			continue;
		hstart[i] = s;
	}
	for (i = 0; i < k && rc >= 0; i++) {
		int start = m[i]->start, end;

		if (hstart[i] >= 0) {
			struct wn_caption_span head = { 0 };
			int s = hstart[i];

			for (j = i; j < k && x->sent_of[m[j]->start] == s;
					j++) {
				/* a restarted sequence is not introduced */
				if (j > i && m[j]->cls == m[j - 1]->cls &&
						m[j]->first >= 0 &&
						m[j]->first <= m[j - 1]->last)
					break;
				span_union(&head, m[j]);
			}
			if (i == 0 && same_labels(&head, &all)) {
				rc = span_push(shared, 0, start, NULL, x->cp);
			} else {
				struct wn_caption_cand hc = { 0 };

				hc.nlabels = head.nlabels;
				memcpy(hc.labels, head.labels,
						sizeof(hc.labels));
				if (i == 0)
					rc = span_push(shared, 0, s, NULL,
							x->cp);
				if (rc >= 0)
					rc = span_push(subs, s, start, &hc,
							x->cp);
			}
		} else if (i == 0) {
			rc = span_push(shared, 0, start, NULL, x->cp);
		}
		if (rc < 0)
			break;
		if (i + 1 < k)
			end = hstart[i + 1] >= 0 ? hstart[i + 1] :
				m[i + 1]->start;
		else {
			cl = closing_block(x, m[i]->end);
			end = cl;
		}
		rc = span_push(subs, start, end, m[i], x->cp);
		if (rc >= 0 && i + 1 == k && end < x->n)
			rc = span_push(shared, end, x->n, NULL, x->cp);
	}
	free(hstart);
	return rc;
}

/* Past ", and", ", but", "or", ";" between two postfix phrases. */
static int
skip_connectors(const uint32_t *cp, int i, int end)
{
	int w;

	for (;;) {
		i = skip_spaces(cp, i, end);
		if (i < end && (cp[i] == ',' || cp[i] == ';')) {
			i++;
		} else if ((w = match_word(cp, i, end, "and")) > 0 ||
				(w = match_word(cp, i, end, "or")) > 0 ||
				(w = match_word(cp, i, end, "but")) > 0) {
			i += w;
		} else {
			return i;
		}
	}
}

/* "depressed", "elevated": a lower-case word of 5+ letters ending in -ed */
static int
ends_ed(const uint32_t *cp, int i, int e)
{
	return e - i > 4 && is_lower(cp[i]) && cp[e - 2] == 'e' &&
		cp[e - 1] == 'd';
}

/* Start of the first past-tense verb ("depressed", "had") in [a, b), or -1. */
static int
past_verb(const uint32_t *cp, int a, int b)
{
	int i = a, e;

	while (i < b) {
		while (i < b && !is_alpha(cp[i]))
			i++;
		e = i;
		while (e < b && is_word(cp[e]))
			e++;
		if (e - i >= 3 && (i == 0 || is_space(cp[i - 1])) &&
				(e == b || is_space(cp[e]) || cp[e] == ',') &&
				(ends_ed(cp, i, e) ||
				 match_word(cp, i, b, "had") ||
				 match_word(cp, i, b, "was") ||
				 match_word(cp, i, b, "were")))
			return i;
		i = e > i ? e : i + 1;
	}
	return -1;
}

/* Postfix markers: "TSH (A) and GPH (B) in the gland." */
static int
build_postfix(const struct ctx *x, struct wn_caption_cand **m, int k,
	      struct spans *subs, struct spans *shared)
{
	int i, rc = 0, start, end, s, j;

	for (i = 0; i < k && rc >= 0; i++) {
		s = x->sent_of[m[i]->start];
		if (i == 0) {
			start = s;
			if (k > 1 && (j = past_verb(x->cp, m[0]->end,
					m[1]->start)) >= 0 &&
					(j = past_verb(x->cp, s + 1,
					m[0]->start)) >= 0) {
				/* "Exposure depressed T4 (A), but had no
				   effect on T3 (B)": a predicate per label */
				start = j;
			} else {
				/* "... levels for TSH (A) and GPH (B)": the
				   objects start after the last "for" */
				for (j = m[i]->start - 1; j > s; j--) {
					int w = match_word(x->cp, j,
							m[i]->start, "for");

					if (w > 0 && is_space(x->cp[j - 1])) {
						start = j + w;
						break;
					}
				}
			}
			if (start > s)
				rc = span_push(shared, 0, start, NULL, x->cp);
			else
				rc = span_push(shared, 0, s, NULL, x->cp);
		} else {
			start = m[i - 1]->end;
			/* a sentence boundary in between: start there */
			for (j = m[i - 1]->end; j < m[i]->start; j++)
				if (x->sent[j])
					break;
			if (j < m[i]->start)
				start = j;
			else
				start = skip_connectors(x->cp, start,
						m[i]->start);
		}
		end = m[i]->end;
		if (i + 1 == k) {
			/* the last one runs to the end of its sentence */
			for (j = m[i]->end; j < x->n && !x->sent[j]; j++)
				;
			end = j;	/* what follows applies to all */
		}
		if (rc >= 0)
			rc = span_push(subs, start, end, m[i], x->cp);
		if (rc >= 0 && i + 1 == k && end < x->n)
			rc = span_push(shared, end, x->n, NULL, x->cp);
	}
	return rc;
}

void
wn_caption_split_release(struct wn_caption_split *s)
{
	if (s == NULL)
		return;
	free(s->subs);
	free(s->shared);
	free(s->cp);
	memset(s, 0, sizeof(*s));
}

int
wn_caption_npanels(const struct wn_caption_split *s)
{
	size_t i, j;
	int k, l, n = 0;

	for (i = 0; i < s->nsubs; i++)
		for (k = 0; k < s->subs[i].nlabels; k++) {
			const char *lab = s->subs[i].labels[k];
			int seen = 0;

			/* counted where it first appears */
			for (j = 0; j <= i && !seen; j++)
				for (l = 0; l < (j < i ? s->subs[j].nlabels : k) &&
					    !seen; l++)
					seen = strcmp(s->subs[j].labels[l], lab) == 0;
			n += !seen;
		}
	return n;
}

static int
ctx_init(struct ctx *x, const uint32_t *cp, int n)
{
	int i, s = 0, d = 0;

	memset(x, 0, sizeof(*x));
	x->cp = cp;
	x->n = n;
	x->sent = malloc((size_t)n + 1);
	x->sent_of = malloc(sizeof(int) * ((size_t)n + 1));
	x->depth = malloc(sizeof(int) * ((size_t)n + 1));
	if (x->sent == NULL || x->sent_of == NULL || x->depth == NULL)
		return -ENOMEM;
	find_sentences(cp, n, x->sent);
	for (i = 0; i <= n; i++) {
		if (i < n && x->sent[i])
			s = i;
		x->sent_of[i] = s;
		x->depth[i] = d;
		if (i < n && (cp[i] == '(' || cp[i] == '['))
			d++;
		else if (i < n && (cp[i] == ')' || cp[i] == ']') && d > 0)
			d--;
		if (i < n && x->sent[i])
			d = 0;
	}
	return 0;
}

static void
ctx_release(struct ctx *x)
{
	free(x->sent);
	free(x->sent_of);
	free(x->depth);
}

int
wn_caption_split_cp(const struct wn_caption_model *model, const uint32_t *cp_in,
		    size_t ncp, caption_oracle_fn oracle, void *octx,
		    struct wn_caption_split *ret)
{
	struct wn_caption_split out = { 0 };
	struct spans subs = { 0 }, shared = { 0 };
	struct cands cs = { 0 };
	struct wn_caption_cand **m = NULL;
	struct ctx x = { 0 };
	int rc, n = (int)ncp, k = 0, nacc;
	size_t i;

	if (model == NULL)
		model = wn_caption_model_shipped();
	if (ncp > WN_CAPTION_MAX_BYTES)
		return -WN_ETOOBIG;
	out.cp = malloc(sizeof(uint32_t) * (ncp + 1));
	if (out.cp == NULL)
		return -ENOMEM;
	if (ncp > 0)
		memcpy(out.cp, cp_in, sizeof(uint32_t) * ncp);
	out.ncp = ncp;
	rc = ctx_init(&x, out.cp, n);
	if (rc < 0)
		goto out;
	rc = find_candidates(out.cp, n, &cs);
	if (rc < 0)
		goto out;
	fix_roman(&cs);
	for (i = 0; i < cs.n; i++) {
		struct wn_caption_cand *c = &cs.v[i];

		if (c->type == CAPTION_T_POS_WORD || c->start == 0 ||
				after_boundary(out.cp, c->start))
			x.style[c->type]++;
	}
	m = malloc(sizeof(*m) * (cs.n + 1));
	if (m == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	nacc = decode(&x, cs.v, cs.n, model->prefix, 0, oracle, octx);
	if (nacc > 0 && oracle == NULL) {
		/* position words are markers only in captions without letters
		   ("(F) Left, ... Right, ..." are parts of F) */
		int pos = 0, other = 0;

		for (i = 0; i < cs.n; i++)
			if (cs.v[i].accepted == 1) {
				if (cs.v[i].cls == CAPTION_C_POS)
					pos++;
				else
					other++;
			}
		if (pos > 0 && other > 0) {
			for (i = 0; i < cs.n; i++) {
				cs.v[i].skip = cs.v[i].cls == CAPTION_C_POS;
				cs.v[i].accepted = 0;
			}
			nacc = decode(&x, cs.v, cs.n, model->prefix, 0, NULL,
					NULL);
		}
	}
	if (nacc > 0) {
		for (i = 0; i < cs.n; i++)
			if (cs.v[i].accepted == 1)
				m[k++] = &cs.v[i];
	}
	if (nacc == 0 || oracle != NULL) {
		size_t j;

		for (j = 0; j < cs.n; j++)
			if (cs.v[j].accepted != 1)
				cs.v[j].accepted = 0;
		if (oracle != NULL)
			nacc = decode(&x, cs.v, cs.n, model->postfix, 1,
					oracle, octx);
		else
			nacc = decode_chain(&x, cs.v, cs.n, model->postfix);
		if (k == 0 && nacc >= 2) {
			for (i = 0; i < cs.n; i++)
				if (cs.v[i].accepted == 2)
					m[k++] = &cs.v[i];
			rc = build_postfix(&x, m, k, &subs, &shared);
			goto built;
		}
	}
	if (k > 0)
		rc = build_prefix(&x, m, k, &subs, &shared);
	else
		rc = span_push(&shared, 0, n, NULL, out.cp);
built:
	if (rc < 0)
		goto out;
	out.subs = subs.v;
	out.nsubs = subs.n;
	out.shared = shared.v;
	out.nshared = shared.n;
	subs.v = shared.v = NULL;
	*ret = out;
	out.cp = NULL;
	rc = 0;
out:
	free(m);
	free(cs.v);
	free(subs.v);
	free(shared.v);
	free(out.cp);
	ctx_release(&x);
	return rc;
}

int
wn_caption_split(const struct wn_caption_model *m, const char *text, size_t len,
		 struct wn_caption_split *ret)
{
	uint32_t *cp = NULL;
	size_t n = 0;
	int rc;

	rc = wn_caption_decode(text, len, &cp, &n);
	if (rc < 0)
		return rc;
	rc = wn_caption_split_cp(m, cp, n, NULL, NULL, ret);
	free(cp);
	return rc;
}

int
wn_caption_split_baseline(const uint32_t *cp, size_t ncp,
			  struct wn_caption_split *ret)
{
	struct wn_caption_split out = { 0 };
	struct spans subs = { 0 }, shared = { 0 };
	struct wn_caption_cand c;
	int n = (int)ncp, i, first = -1, prev = -1, rc = 0;

	if (ncp > WN_CAPTION_MAX_BYTES)
		return -WN_ETOOBIG;
	for (i = 0; i + 2 < n && rc >= 0; i++) {
		if (cp[i] != '(' || !is_alpha(cp[i + 1]) || cp[i + 2] != ')')
			continue;
		if (prev >= 0)
			rc = span_push(&subs, prev, i, &c, cp);
		memset(&c, 0, sizeof(c));
		c.nlabels = 1;
		c.labels[0][0] = (char)cp[i + 1];
		if (first < 0)
			first = i;
		prev = i;
	}
	if (rc >= 0 && prev >= 0)
		rc = span_push(&subs, prev, n, &c, cp);
	if (rc >= 0)
		rc = span_push(&shared, 0, first >= 0 ? first : n, NULL, cp);
	if (rc < 0) {
		free(subs.v);
		free(shared.v);
		return rc;
	}
	out.subs = subs.v;
	out.nsubs = subs.n;
	out.shared = shared.v;
	out.nshared = shared.n;
	*ret = out;
	return 0;
}

/* ------------------------------------------------------------------ JSON */

int
wn_caption_labels_json(struct wn_buf *b, const struct wn_caption_span *sp,
		       const char *sep)
{
	uint32_t *lc;
	size_t ln;
	int k, rc;

	rc = wn_buf_add(b, "[", 1);
	for (k = 0; rc >= 0 && k < sp->nlabels; k++) {
		const char *l = sp->labels[k];

		lc = NULL;
		ln = 0;
		if (k > 0)
			rc = wn_buf_addstr(b, sep);
		if (rc >= 0)
			rc = wn_caption_decode(l, strlen(l), &lc, &ln);
		if (rc >= 0)
			rc = wn_caption_json_string(b, lc, 0, (int)ln);
		free(lc);
	}
	if (rc >= 0)
		rc = wn_buf_add(b, "]", 1);
	return rc;
}

static int
json_spans(struct wn_buf *b, const struct wn_caption_split *s,
	   const struct wn_caption_span *v, size_t n, int labels)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc >= 0; i++) {
		rc = wn_buf_addstr(b, i > 0 ? ", {" : "{");
		if (rc >= 0 && labels) {
			rc = wn_buf_addstr(b, "\"labels\": ");
			if (rc >= 0)
				rc = wn_caption_labels_json(b, &v[i], ", ");
			if (rc >= 0)
				rc = wn_buf_addstr(b, ", ");
		}
		if (rc >= 0)
			rc = wn_buf_printf(b, "\"start\": %d, \"end\": %d, "
					"\"text\": ", v[i].start, v[i].end);
		if (rc >= 0)
			rc = wn_caption_json_string(b, s->cp, v[i].start,
						    v[i].end);
		if (rc >= 0)
			rc = wn_buf_add(b, "}", 1);
	}
	return rc;
}

int
wn_caption_split_json(const struct wn_caption_split *s, struct wn_buf *b)
{
	int rc;

	rc = wn_buf_addstr(b, "{\"subcaptions\": [");
	if (rc >= 0)
		rc = json_spans(b, s, s->subs, s->nsubs, 1);
	if (rc >= 0)
		rc = wn_buf_addstr(b, "], \"shared\": [");
	if (rc >= 0)
		rc = json_spans(b, s, s->shared, s->nshared, 0);
	if (rc >= 0)
		rc = wn_buf_addstr(b, "]}");
	return rc;
}
