#!/usr/bin/env bash
# Install dependencies, build, and trace across a built-in lab network.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec python3 tools/lab-demo.py src/hoplite
