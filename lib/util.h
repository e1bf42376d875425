/*
 * util.h: checked number parsing, growable buffers, small string helpers.
 */
#ifndef WN_UTIL_H
#define WN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parse a whole string as a decimal integer in [min, max]; -EINVAL or -ERANGE. */
int wn_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret_val)
	__attribute__((warn_unused_result));
int wn_parse_int(const char *s, int min, int max, int *ret_val)
	__attribute__((warn_unused_result));
int wn_parse_double(const char *s, double min, double max, double *ret_val)
	__attribute__((warn_unused_result));

/* "K/N" shard spec, 0 <= K < N. */
int wn_parse_shard(const char *s, int *ret_k, int *ret_n)
	__attribute__((warn_unused_result));

/* Growable byte buffer, always NUL-terminated when len > 0 (curl dynbuf). */
struct wn_buf {
	char *data;		/* owned */
	size_t len;
	size_t cap;
	size_t max;		/* 0 = no limit; appends past it fail with -WN_ETOOBIG */
};

void wn_buf_init(struct wn_buf *b, size_t max);
void wn_buf_release(struct wn_buf *b);
void wn_buf_reset(struct wn_buf *b);
int wn_buf_add(struct wn_buf *b, const void *data, size_t len)
	__attribute__((warn_unused_result));
int wn_buf_addstr(struct wn_buf *b, const char *s)
	__attribute__((warn_unused_result));
int wn_buf_printf(struct wn_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
/* Move the contents out (caller frees); the buffer is left empty. */
char *wn_buf_detach(struct wn_buf *b, size_t *ret_len);

/* Read a whole file, at most max bytes (-WN_ETOOBIG past it). Caller frees. */
int wn_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void wn_hex(const uint8_t *in, size_t n, char *out);
/* Exactly 2n hex digits (either case) into n bytes; -EINVAL otherwise. */
int wn_unhex(const char *hex, uint8_t *out, size_t n);
/* The value of hex digit c, or -1. */
int wn_hexdigit(int c);

/* Create the directory and its parents (mode 0777 & ~umask). */
int wn_mkdir_p(const char *path);

/* 64-bit FNV-1a: stable hash for sharding (--shard K/N). */
uint64_t wn_hash64(const void *data, size_t len);

/* splitmix64: advance *state and return its next well-mixed 64-bit value
   (seeded streams for training, sampling and test data). */
uint64_t wn_splitmix64(uint64_t *state);

/* Number of online CPUs (at least 1). */
int wn_ncpu(void);

#endif
