/* ctl_client: the client side of the control socket (hoplite submit). */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"

/*
 * Client
 */

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;

	for (;;) {
		int ms = -1;

		if (deadline >= 0) {
			long long left = deadline - mono_ms();

			if (left <= 0)
				return 0;
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		rc = poll(&pfd, 1, ms);
		if (rc == -1 && errno == EINTR)
			continue;
		return rc > 0 ? 1 : rc;
	}
}

int
ctl_submit(const char *path, const char *request_line, char *reply_buf,
    size_t replylen, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	long long deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : -1;
	size_t len = strlen(request_line), off = 0, got = 0;
	int fd = -1, rc = -1, w = 0;

	if (replylen == 0) {
		snprintf(err, errlen, "no room for a reply");
		return -1;
	}
	reply_buf[0] = '\0';
	if (memchr(request_line, '\n', len) != NULL || len > CTL_LINE_MAX) {
		snprintf(err, errlen, "request: %s", len > CTL_LINE_MAX ?
		    "line too long" : "contains a newline");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	/* AF_UNIX connects at once; EAGAIN (backlog full) is retried. */
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			goto done;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			if ((w = wait_fd(fd, POLLOUT, deadline)) <= 0)
				goto timeout;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == 0 && soerr == 0)
				break;
			errno = soerr;
		} else if (errno == EAGAIN || errno == EINTR) {
			close(fd);
			fd = -1;
			if (deadline >= 0 && mono_ms() >= deadline)
				goto timeout;
			poll(NULL, 0, 10);
			continue;
		}
		snprintf(err, errlen, "connect %s: %s", path, strerror(errno));
		goto done;
	}

	while (off < len + 1) {
		const char *p = off < len ? request_line + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLOUT, deadline)) <= 0)
				goto timeout;
			continue;
		}
		if (k == -1) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto done;
		}
		off += (size_t)k;
	}

	/* One line back; bytes after its newline are not ours to read. */
	for (;;) {
		char *nl;
		ssize_t k;

		if (got == replylen - 1) {
			snprintf(err, errlen, "reply longer than %zu bytes",
			    replylen - 1);
			goto done;
		}
		k = recv(fd, reply_buf + got, replylen - 1 - got, 0);
		if (k == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLIN, deadline)) <= 0)
				goto timeout;
			continue;
		}
		if (k == -1) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			goto done;
		}
		if (k == 0) {
			snprintf(err, errlen, "connection closed before a "
			    "reply");
			goto done;
		}
		reply_buf[got + (size_t)k] = '\0';
		if ((nl = memchr(reply_buf + got, '\n', (size_t)k)) != NULL) {
			*nl = '\0';
			rc = 0;
			goto done;
		}
		got += (size_t)k;
	}
timeout:
	if (w == -1)
		snprintf(err, errlen, "poll: %s", strerror(errno));
	else
		snprintf(err, errlen, "no reply within %d ms", timeout_ms);
done:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		reply_buf[0] = '\0';
	return rc;
}
