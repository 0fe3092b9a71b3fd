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

static const struct option longopts[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "uuid", required_argument, NULL, 'u' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "method", required_argument, NULL, 'P' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite submit [options] IP\n"
	    "Ask a running hoplited, through its control socket, to trace to IP.\n"
	    "\n"
	    "  -S, --socket PATH    control socket ($HOPLITE_CONTROL, else\n"
	    "                       %s)\n"
	    "  -u, --uuid UUID      the test's UUID, naming the trace file\n"
	    "                       (hoplite-submit_<unix time>_<16 random hex>)\n"
	    "      --sport N        the client's port of the test (0-65535)\n"
	    "      --dport N        the server's port of the test (0-65535)\n"
	    "  -P, --method M       icmp-paris, udp-paris, tcp-paris, tcp-ack-paris\n"
	    "                       (default: the daemon's)\n"
	    "  -t, --timeout MS     give up after MS milliseconds (%d)\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Prints the daemon's one-line JSON reply.  Exit status: 0 accepted\n"
	    "(\"status\": queued, joined or cached), 1 refused (\"error\") or no\n"
	    "answer, 2 usage error.  See hoplited(8).\n",
	    DEFAULT_CONTROL, DEFAULT_TIMEOUT_MS);
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
	const char *path, *uuid = NULL, *status, *error;
	const struct pkt_method *method = NULL;
	long long sport = -1, dport = -1, timeout_ms = DEFAULT_TIMEOUT_MS;
	char uuidbuf[64], ipbuf[ADDR_STRLEN], reply[CTL_LINE_MAX + 1];
	char err[256];
	struct addr_ip ip;
	json_t *req = NULL, *rep = NULL;
	char *line = NULL;
	int ch, rc = 1;

	cmd_set_name("submit");
	if ((path = getenv("HOPLITE_CONTROL")) == NULL || *path == '\0')
		path = DEFAULT_CONTROL;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":S:u:P:t:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'S':
			path = optarg;
			break;
		case 'u':
			uuid = optarg;
			break;
		case OPT_SPORT:
			sport = cmd_num_option("--sport", optarg, 0, 65535);
			break;
		case OPT_DPORT:
			dport = cmd_num_option("--dport", optarg, 0, 65535);
			break;
		case 'P':
			if ((method = pkt_method_find(optarg)) == NULL)
				cmd_bad_option("-P", optarg, "unknown method "
				    "(icmp-paris, udp-paris, tcp-paris, "
				    "tcp-ack-paris)");
			break;
		case 't':
			timeout_ms = cmd_num_option("-t", optarg, 1, 3600000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			cmd_getopt_error(ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		cmd_usage_error("takes exactly one IP");
	if (addr_pton(argv[0], &ip) == -1)
		cmd_bad_option("IP", argv[0], "not a numeric IPv4 or IPv6 address");
	if (uuid == NULL) {
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
	if ((sport >= 0 && json_object_set_new(req, "sport",
	    json_integer(sport)) == -1) ||
	    (dport >= 0 && json_object_set_new(req, "dport",
	    json_integer(dport)) == -1) ||
	    (method != NULL && json_object_set_new(req, "method",
	    json_string(method->name)) == -1) ||
	    (line = json_dumps(req, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "hoplite: out of memory\n");
		goto done;
	}

	if (ctl_submit(path, line, reply, sizeof(reply), (int)timeout_ms, err,
	    sizeof(err)) == -1) {
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
		fprintf(stderr, "hoplite: unexpected reply from %s\n", path);
done:
	free(line);
	json_decref(req);
	json_decref(rep);
	return rc;
}
