/*
 * simnet_graph: multipath topologies for simnet (routers balancing per
 * flow with a seed of their own, or per packet; silent routers, losses).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"
#include "simnet.h"

#define GRAPH_MAX_PKT	2048

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
simnet_node_add(struct simnet_dest *d, const char *addr)
{
	struct simnet_node *n;

	if (d->nnodes >= SIMNET_MAX_NODES)
		return -1;
	n = &d->node[d->nnodes];
	memset(n, 0, sizeof(*n));
	if (addr_pton(addr, &n->addr) == -1 || n->addr.family != d->dst.family)
		return -1;
	n->seed = (uint32_t)(d->nnodes + 1) * 2654435761u;
	return (int)d->nnodes++;
}

int
simnet_node_link(struct simnet_dest *d, int from, int to)
{
	struct simnet_node *n;

	if (from < 0 || (unsigned)from >= d->nnodes ||
	    (to != SIMNET_NODE_DEST && (to < 0 || (unsigned)to >= d->nnodes)))
		return -1;
	n = &d->node[from];
	if (n->nnext >= SIMNET_MAX_NEXT)
		return -1;
	n->next[n->nnext++] = (uint16_t)to;
	return 0;
}

/* A router's hash of the probe (FNV-1a over the fields, then its seed). */
static uint32_t
node_hash(const struct simnet_dest *d, const struct simnet_node *n,
    const struct simnet_hashed *h)
{
	unsigned fields = d->hash_fields ? d->hash_fields :
	    SIMNET_HASH_L4 | SIMNET_HASH_FLOWLABEL | SIMNET_HASH_ADDRS;
	uint8_t b[64];
	size_t k = 0;
	uint32_t x = 2166136261u ^ n->seed;

	if (fields & SIMNET_HASH_ADDRS) {
		memcpy(b + k, h->src.u.b, addr_len(&h->src));
		k += addr_len(&h->src);
		memcpy(b + k, h->dst.u.b, addr_len(&h->dst));
		k += addr_len(&h->dst);
		b[k++] = h->proto;
	}
	if (fields & SIMNET_HASH_L4) {
		if (h->proto == IPPROTO_ICMP || h->proto == IPPROTO_ICMPV6) {
			b[k++] = h->icmp_type;
			b[k++] = h->icmp_code;
			put16(b + k, h->icmp_sum);
		} else {
			put16(b + k, h->sport);
			put16(b + k + 2, h->dport);
			k += 2;
		}
		k += 2;
	}
	if (fields & SIMNET_HASH_FLOWLABEL)
		put32(b + k, h->flowlabel), k += 4;
	for (size_t i = 0; i < k; i++)
		x = (x ^ b[i]) * 16777619u;
	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

/* Router n's next hop for h: per flow, or per packet (sn NULL: the
 * first next hop, for simnet_walk). */
static unsigned
node_next(struct simnet *sn, const struct simnet_dest *d,
    struct simnet_node *n, const struct simnet_hashed *h)
{
	if (n->nnext == 0)
		return SIMNET_NODE_DEST;
	if (n->perpacket && sn == NULL)
		return n->next[0];
	if (n->perpacket == SIMNET_PP_ROUND)
		return n->next[n->rr++ % n->nnext];
	if (n->perpacket)
		return n->next[simnet_rand(sn) % n->nnext];
	return n->next[node_hash(d, n, h) % n->nnext];
}

int
simnet_walk(const struct simnet_dest *d, const struct simnet_hashed *h,
    int *path, unsigned max)
{
	unsigned cur = 0;

	for (unsigned hop = 1; hop <= max && d->nnodes > 0; hop++) {
		struct simnet_node n = d->node[cur];

		path[hop - 1] = (int)cur;
		cur = node_next(NULL, d, &n, h);
		if (cur == SIMNET_NODE_DEST)
			return (int)hop + 1;
	}
	return -1;
}

/* What a graph does with probe p. */
void
simnet_graph_respond(struct simnet *sn, struct simnet_dest *d,
    const struct simnet_probe *p)
{
	struct simnet_reply_spec rs;
	uint8_t buf[GRAPH_MAX_PKT];
	unsigned cur = 0, hop, loss = d->dest_loss_pct;
	int len;

	memset(&rs, 0, sizeof(rs));
	rs.kind = SIMNET_DEST;
	for (hop = 1; hop < SIMNET_MAX_TTL; hop++) {
		if (hop == p->ttl) {
			const struct simnet_node *n = &d->node[cur];

			if (n->silent)
				return;
			rs.kind = SIMNET_TIMXCEED;
			rs.from = n->addr;
			loss = n->loss_pct;
			break;
		}
		cur = node_next(sn, d, &d->node[cur], &p->h);
		if (cur == SIMNET_NODE_DEST) {
			hop++;
			break;
		}
	}
	if (hop >= SIMNET_MAX_TTL || (rs.kind == SIMNET_DEST && d->blackhole))
		return;
	if (loss > 0 && simnet_rand(sn) % 100 < loss)
		return;
	rs.reply_ttl = (uint8_t)(255 - hop);
	/* The destination quotes what TTL the probe had left. */
	if (rs.kind == SIMNET_DEST)
		rs.q_ttl = (uint8_t)(p->ttl - hop + 1);
	if ((len = simnet_reply_build(p, &rs, buf, sizeof(buf))) < 0)
		return;
	simnet_inject(sn, buf, (size_t)len, d->delay_ms[hop]);
}
