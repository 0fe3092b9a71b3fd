/* fmt: the registry of output formats. */
#include "config.h"

#include <string.h>

#include "fmt.h"

static const struct fmt_ops *const fmt_all[] = {
	&fmt_hops, &fmt_paths, &fmt_ndjson, &fmt_links, &fmt_nodes,
	&fmt_dsts, &fmt_aslinks, &fmt_itdk, &fmt_graphml, &fmt_dot, NULL
};

const struct fmt_ops *
fmt_find(const char *name)
{
	for (int i = 0; fmt_all[i] != NULL; i++)
		if (strcmp(fmt_all[i]->name, name) == 0)
			return fmt_all[i];
	return NULL;
}

const char *
fmt_names(void)
{
	return "hops, paths, ndjson, links, nodes, dsts, aslinks, itdk, "
	    "graphml, dot";
}
