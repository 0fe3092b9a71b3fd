#!/usr/bin/env bash
# Install, build and run the whole test suite (unit, fuzz corpus, man pages,
# network lab).  The lab needs root; without it those tests are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1
make -j"$(nproc)" check
rc=$?
[ $rc -ne 0 ] && [ -f test-suite.log ] && sed -n '/^FAIL\|^ERROR/,+40p' test-suite.log | head -200
exit $rc
