/* hoplite submit: ask a running hoplited to trace to a client. */
#include "config.h"

#include <sys/random.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/addr.h"
#include "cli/cmd.h"
#include "daemon/ctl.h"
#include "util/opt.h"
#include "probe/pkt.h"

#define DEFAULT_CONTROL		"/run/hoplited/control.sock"
#define DEFAULT_TIMEOUT_MS	5000

enum { OPT_SPORT = 256, OPT_DPORT };

struct submitcmd {
	const char *path, *uuid;
	const struct pkt_method *method;
	long long sport, dport, timeout_ms;
};

/* Every option, in --help order. */
static const struct cmd_opt opts[] = {
	{ CMD_OWN, 'S', "socket", required_argument,
	    "  -S, --socket PATH    control socket ($HOPLITE_CONTROL, else\n"
	    "                       " DEFAULT_CONTROL ")\n" },
	{ CMD_OWN, 'u', "uuid", required_argument,
	    "  -u, --uuid UUID      the test's UUID, naming the trace file\n"
	    "                       (hoplite-submit_<unix time>_<16 random hex>)\n" },
	{ CMD_OWN, OPT_SPORT, "sport", required_argument,
	    "      --sport N        the client's port of the test (0-65535)\n" },
	{ CMD_OWN, OPT_DPORT, "dport", required_argument,
	    "      --dport N        the server's port of the test (0-65535)\n" },
	{ CMD_OWN, 'P', "method", required_argument,
	    "  -P, --method M       icmp-paris, udp-paris, tcp-paris, tcp-ack-paris\n"
	    "                       (default: the daemon's)\n" },
	{ CMD_OWN, 't', "timeout", required_argument,
	    "  -t, --timeout MS     give up after MS milliseconds ("
	    CMD_STR(DEFAULT_TIMEOUT_MS) ")\n" },
	{ .kind = CMD_HELP },
};

static void submit_opt(int, const char *, void *);

static const struct cmd_spec spec = {
	.name = "submit",
	.head = "usage: hoplite submit [options] IP\n"
	    "Ask a running hoplited, through its control socket, to trace to IP.\n"
	    "\n",
	.foot = "\n"
	    "Prints the daemon's one-line JSON reply.  Exit status: 0 accepted\n"
	    "(\"status\": queued, joined or cached), 1 refused (\"error\") or no\n"
	    "answer, 2 usage error.  See hoplited(8).\n",
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
	.own = submit_opt,
};

static void
submit_opt(int id, const char *arg, void *cmd)
{
	struct submitcmd *sc = cmd;

	switch (id) {
	case 'S':
		sc->path = arg;
		break;
	case 'u':
		sc->uuid = arg;
		break;
	case OPT_SPORT:
		sc->sport = cmd_num_option("--sport", arg, 0, 65535);
		break;
	case OPT_DPORT:
		sc->dport = cmd_num_option("--dport", arg, 0, 65535);
		break;
	case 'P':
		if ((sc->method = pkt_method_find(arg)) == NULL)
			cmd_bad_option("-P", arg, "unknown method "
			    "(icmp-paris, udp-paris, tcp-paris, "
			    "tcp-ack-paris)");
		break;
	case 't':
		sc->timeout_ms = cmd_num_option("-t", arg, 1, 3600000);
		break;
	}
}

/* hoplite-submit_<unix time>_<16 upper-case hex digits>, like M-Lab's. */
static int
make_uuid(char *buf, size_t len)
{
	uint8_t r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	snprintf(buf, len, "hoplite-submit_%lld_%02X%02X%02X%02X%02X%02X%02X%02X",
	    (long long)time(NULL), r[0], r[1], r[2], r[3], r[4], r[5], r[6],
	    r[7]);
	return 0;
}

int
cmd_submit(int argc, char **argv)
{
	struct submitcmd sc = { NULL, NULL, NULL, -1, -1, DEFAULT_TIMEOUT_MS };
	struct cmd_common opt;
	const char *uuid, *status, *error;
	char uuidbuf[64], ipbuf[ADDR_STRLEN], reply[CTL_LINE_MAX + 1];
	char err[256];
	struct addr_ip ip;
	json_t *req = NULL, *rep = NULL;
	char *line = NULL;
	int n, rc = 1;

	if ((sc.path = getenv("HOPLITE_CONTROL")) == NULL || *sc.path == '\0')
		sc.path = DEFAULT_CONTROL;
	memset(&opt, 0, sizeof(opt));
	if ((n = cmd_parse(&spec, &opt, &sc, argc, argv)) == 0)
		return 0;
	argc -= n;
	argv += n;
	if (argc != 1)
		cmd_usage_error("takes exactly one IP");
	if (addr_pton(argv[0], &ip) == -1)
		cmd_bad_option("IP", argv[0], "not a numeric IPv4 or IPv6 address");
	if ((uuid = sc.uuid) == NULL) {
		if (make_uuid(uuidbuf, sizeof(uuidbuf)) == -1) {
			fprintf(stderr, "hoplite: no random bytes for a UUID\n");
			return 1;
		}
		uuid = uuidbuf;
	}

	/* jansson writes the request: any uuid is escaped properly. */
	if ((req = json_pack("{s:s,s:s}", "uuid", uuid, "ip",
	    addr_ntop(&ip, ipbuf, sizeof(ipbuf)))) == NULL) {
		fprintf(stderr, "hoplite: -u '%s': not valid UTF-8\n", uuid);
		return 2;
	}
	if ((sc.sport >= 0 && json_object_set_new(req, "sport",
	    json_integer(sc.sport)) == -1) ||
	    (sc.dport >= 0 && json_object_set_new(req, "dport",
	    json_integer(sc.dport)) == -1) ||
	    (sc.method != NULL && json_object_set_new(req, "method",
	    json_string(sc.method->name)) == -1) ||
	    (line = json_dumps(req, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "hoplite: out of memory\n");
		goto done;
	}

	if (ctl_submit(sc.path, line, reply, sizeof(reply), (int)sc.timeout_ms,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "hoplite: %s\n", err);
		goto done;
	}
	printf("%s\n", reply);
	fflush(stdout);

	rep = json_loads(reply, JSON_REJECT_DUPLICATES, NULL);
	status = json_string_value(json_object_get(rep, "status"));
	error = json_string_value(json_object_get(rep, "error"));
	if (status != NULL && error == NULL)
		rc = 0;
	else if (error != NULL)
		fprintf(stderr, "hoplite: refused: %s\n", error);
	else
		fprintf(stderr, "hoplite: unexpected reply from %s\n", sc.path);
done:
	free(line);
	json_decref(req);
	json_decref(rep);
	return rc;
}
