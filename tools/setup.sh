#!/usr/bin/env bash
# Install what hoplite needs on Debian (build and tests), then build it.
# Usage: tools/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DEPS="build-essential autoconf automake pkg-config libpcap-dev libnet1-dev
	libdumbnet-dev libjansson-dev libevent-dev libarchive-dev libseccomp-dev
	zlib1g-dev"
TEST_DEPS="iproute2 nftables scamper python3 python3-networkx clang valgrind strace
	mandoc util-linux procps graphviz sqlite3 jq systemd zsh python3-yaml
	libcap2-bin man-db"

if [ "$(id -u)" -eq 0 ]; then
	missing=
	for p in $BUILD_DEPS $TEST_DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "setup: installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
else
	echo "setup: not root; assuming the Debian packages are installed" >&2
fi

[ "${1:-}" = "--no-build" ] && exit 0
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"
