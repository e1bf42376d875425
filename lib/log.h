/*
 * log.h: diagnostics, progress and exit codes shared by every winnow tool.
 *
 * Messages go to stderr as "winnow-x: LEVEL: text" (git, systemd style).  Library
 * code logs at debug level at most; tools decide what the user sees.
 */
#ifndef WN_LOG_H
#define WN_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <sysexits.h>

/* Exit codes beyond <sysexits.h> (see STYLE.md, EXIT STATUS in every man page). */
#define WN_EX_PARTIAL	1	/* finished, but rejects exceeded --max-errors */

/* Domain errors, returned negated like errno values (below -1000). */
enum {
	WN_EFORMAT = 1001,	/* input is not in the expected format */
	WN_ETOOBIG,		/* input exceeds a configured limit */
	WN_ECORRUPT,		/* input is truncated or damaged */
	WN_EUNSUPPORTED,	/* valid but unsupported variant */
	WN_ESCHEMA,		/* database schema newer than this tool */
	WN_EBUSY,		/* database locked past the busy timeout */
	WN_EHTTP,		/* HTTP status not usable */
	WN_ENET,		/* network failure */
	WN_ECHECKSUM,		/* checksum mismatch */
	WN_EREMOTE,		/* service reported an error inside a 200 */
	WN_EDB,			/* other SQLite failure */
	WN_ELAST
};

enum wn_log_level {
	WN_LOG_ERROR = 0,
	WN_LOG_WARNING = 1,
	WN_LOG_INFO = 2,
	WN_LOG_DEBUG = 3,
};

/* verbosity: 0 = errors only (-q), 1 = warnings (default), 2 = info (-v), 3 = debug. */
void wn_log_init(const char *progname, int verbosity);
const char *wn_progname(void);
int wn_log_enabled(enum wn_log_level level);
void wn_log(enum wn_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void wn_vlog(enum wn_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define wn_error(...)	wn_log(WN_LOG_ERROR, __VA_ARGS__)
#define wn_warn(...)	wn_log(WN_LOG_WARNING, __VA_ARGS__)
#define wn_info(...)	wn_log(WN_LOG_INFO, __VA_ARGS__)
#define wn_debug(...)	wn_log(WN_LOG_DEBUG, __VA_ARGS__)

/*
 * The one line a run ends with ("winnow-x: info: done: 812 fetched, 9 rejected in
 * 41.2s"): shown by default, so that cron mails carry it; hidden by -q and when
 * standard output's reader has left.
 */
void wn_summary(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Text for a negative errno-style or WN_E* code (never NULL). */
const char *wn_strerror(int err);

/* Map a negative error code to the exit status a tool should use. */
int wn_exit_status(int err);

/*
 * Flush and close stdout; returns status unchanged, or EX_IOERR if stdout could not
 * be written (EPIPE excepted: the reader left, which is not our error).
 */
int wn_finish_stdout(int status);

/* Write helpers for data on stdout; they return -EPIPE once the reader left. */
int wn_stdout_error(void);

/*
 * Progress: a live line on stderr when it is a terminal (done/total, rate, ETA),
 * nothing otherwise.  wn_progress_end() prints nothing; tools print their summary.
 */
struct wn_progress {
	const char *what;	/* borrowed: static string */
	int64_t total;		/* 0 if unknown */
	int64_t done;
	double start;		/* wn_now() at begin */
	double last;		/* last redraw */
	int tty;
};

void wn_progress_begin(struct wn_progress *p, const char *what, int64_t total);
void wn_progress_add(struct wn_progress *p, int64_t n);
void wn_progress_end(struct wn_progress *p);

/* Monotonic seconds. */
double wn_now(void);

#endif
