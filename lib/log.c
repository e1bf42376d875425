/*
 * log.c: diagnostics on stderr, progress display, exit-status mapping.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/banned.h"

static const char *log_prog = "winnow";
static int log_verbosity = 1;

void
wn_log_init(const char *progname, int verbosity)
{
	log_prog = progname;
	log_verbosity = verbosity;
}

const char *
wn_progname(void)
{
	return log_prog;
}

int
wn_log_enabled(enum wn_log_level level)
{
	return (int)level <= log_verbosity;
}

static const char *const level_names[] = {
	[WN_LOG_ERROR] = "error",
	[WN_LOG_WARNING] = "warning",
	[WN_LOG_INFO] = "info",
	[WN_LOG_DEBUG] = "debug",
};

static int progress_line_shown;

void
wn_vlog(enum wn_log_level level, const char *fmt, va_list ap)
{
	char msg[4096];
	int n;

	if (!wn_log_enabled(level))
		return;
	fflush(stdout);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	/* one line per message: a newline inside would break log parsers */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (progress_line_shown) {
		fputs("\r\033[K", stderr);
		progress_line_shown = 0;
	}
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], msg);
}

void
wn_log(enum wn_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wn_vlog(level, fmt, ap);
	va_end(ap);
}

/* True when standard output is a pipe or socket whose reader has gone. */
static int
reader_left(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

void
wn_summary(const char *fmt, ...)
{
	va_list ap;
	int saved = log_verbosity;

	/* a pipeline whose reader left (| head) stays quiet */
	if (log_verbosity < 1 || ferror(stdout) || reader_left())
		return;
	if (log_verbosity < WN_LOG_INFO)
		log_verbosity = WN_LOG_INFO;
	va_start(ap, fmt);
	wn_vlog(WN_LOG_INFO, fmt, ap);
	va_end(ap);
	log_verbosity = saved;
}

const char *
wn_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case WN_EFORMAT:	return "unrecognised or malformed format";
	case WN_ETOOBIG:	return "exceeds the size limit";
	case WN_ECORRUPT:	return "truncated or corrupt data";
	case WN_EUNSUPPORTED:	return "unsupported variant";
	case WN_ESCHEMA:	return "database schema is newer than this tool";
	case WN_EBUSY:		return "database is locked by another process";
	case WN_EHTTP:		return "unexpected HTTP status";
	case WN_ENET:		return "network failure";
	case WN_ECHECKSUM:	return "checksum mismatch";
	case WN_EREMOTE:	return "the service reported an error";
	case WN_EDB:		return "database error";
	default:
		return strerror(err);
	}
}

int
wn_exit_status(int err)
{
	if (err >= 0)
		return EX_OK;
	switch (-err) {
	case ENOMEM:
	case EAGAIN:
		return EX_OSERR;
	case ENOENT:
	case EACCES:
	case ENOTDIR:
	case EISDIR:
		return EX_NOINPUT;
	case EIO:
	case ENOSPC:
	case EPIPE:
		return EX_IOERR;
	case EINVAL:
		return EX_USAGE;
	case WN_EFORMAT:
	case WN_ECORRUPT:
	case WN_ETOOBIG:
	case WN_EUNSUPPORTED:
		return EX_DATAERR;
	case WN_ESCHEMA:
		return EX_CONFIG;
	case WN_EBUSY:
	case WN_ENET:
		return EX_TEMPFAIL;
	case WN_EHTTP:
	case WN_EREMOTE:
		return EX_UNAVAILABLE;
	default:
		return EX_SOFTWARE;
	}
}

int
wn_stdout_error(void)
{
	if (!ferror(stdout))
		return 0;
	return errno == EPIPE ? -EPIPE : -EIO;
}

int
wn_finish_stdout(int status)
{
	int err = 0;

	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	if (err == EIO && reader_left())
		err = EPIPE;	/* the error was an earlier EPIPE */
	if (fclose(stdout) != 0 && err == 0)
		err = errno ? errno : EIO;
	if (err != 0 && err != EPIPE && err != EBADF) {
		wn_error("write error on standard output: %s", strerror(err));
		if (status == EX_OK || status == WN_EX_PARTIAL)
			status = EX_IOERR;
	}
	return status;
}

double
wn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
wn_progress_begin(struct wn_progress *p, const char *what, int64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->start = wn_now();
	p->last = 0;
	p->tty = log_verbosity >= 1 && isatty(STDERR_FILENO);
}

static void
progress_draw(struct wn_progress *p, double now)
{
	double el = now - p->start, rate = el > 0 ? (double)p->done / el : 0;

	if (p->total > 0) {
		double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;

		fprintf(stderr, "\r\033[K%s: %s: %lld/%lld (%.0f%%), %.1f/s, ETA %.0fs",
			log_prog, p->what, (long long)p->done, (long long)p->total,
			100.0 * (double)p->done / (double)p->total, rate, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %s: %lld, %.1f/s", log_prog, p->what,
			(long long)p->done, rate);
	}
	progress_line_shown = 1;
}

void
wn_progress_add(struct wn_progress *p, int64_t n)
{
	double now;

	p->done += n;
	if (!p->tty)
		return;
	now = wn_now();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	progress_draw(p, now);
}

void
wn_progress_end(struct wn_progress *p)
{
	if (p->tty && progress_line_shown) {
		fputs("\r\033[K", stderr);
		progress_line_shown = 0;
	}
}
