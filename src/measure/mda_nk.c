/*
 * mda_nk: the stopping rule's numbers.  mda_nk(n) probes that showed no
 * new next hop rule out an (n + 1)-th one at the confidence asked: scamper
 * tracelb's table verbatim (so probe counts compare), the closed form
 * beyond it.
 */
#include <stdint.h>

#include "measure/mda.h"

/* scamper's tracelb k(): entry n is for n next hops (n - 1 known). */
static const uint16_t nk95[100] = {
	0, 0, 6, 11, 16, 21, 27, 33, 38, 44, 51, 57, 63, 70, 76, 83,
	90, 96, 103, 110, 117, 124, 131, 138, 145, 152, 159, 167, 174,
	181, 189, 196, 203, 211, 218, 226, 233, 241, 248, 256, 264,
	271, 279, 287, 294, 302, 310, 318, 326, 333, 341, 349, 357,
	365, 373, 381, 389, 397, 405, 413, 421, 429, 437, 445, 453,
	462, 470, 478, 486, 494, 502, 511, 519, 527, 535, 544, 552,
	560, 569, 577, 585, 594, 602, 610, 619, 627, 635, 644, 652,
	661, 669, 678, 686, 695, 703, 712, 720, 729, 737, 746,
};
static const uint16_t nk99[100] = {
	0, 0, 8, 15, 21, 28, 36, 43, 51, 58, 66, 74, 82, 90, 98, 106,
	115, 123, 132, 140, 149, 157, 166, 175, 183, 192, 201, 210,
	219, 228, 237, 246, 255, 264, 273, 282, 291, 300, 309, 319,
	328, 337, 347, 356, 365, 375, 384, 393, 403, 412, 422, 431,
	441, 450, 460, 470, 479, 489, 499, 508, 518, 528, 537, 547,
	557, 566, 576, 586, 596, 606, 616, 625, 635, 645, 655, 665,
	675, 685, 695, 705, 715, 725, 735, 745, 755, 765, 775, 785,
	795, 805, 815, 825, 835, 845, 855, 866, 876, 886, 896, 906,
};

unsigned
mda_nk(unsigned n, unsigned confidence)
{
	const uint16_t *tab = confidence == 99 ? nk99 : nk95;
	double eps = confidence == 99 ? 0.01 : 0.05, x, q;
	unsigned k, i = 0;

	if (n == 0)
		return 0;
	if (n < 99)
		return tab[n + 1];
	/* ceil(ln(eps / k) / ln((k - 1) / k)): the least i with
	 * k ((k - 1) / k)^i <= eps, without libm. */
	k = n > 65535 ? 65536 : n + 1;
	q = (double)(k - 1) / k;
	for (x = k; x > eps; x *= q)
		i++;
	return i;
}
