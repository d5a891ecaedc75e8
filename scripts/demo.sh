#!/usr/bin/env bash
# The local demo of the whole flow, from a fresh clone: installs pnpm and the packages, builds the BFF and
# the SPA, installs MLflow into .cache/ on first run, then starts MLflow, the demo OpenID provider, the
# PAPI double and the BFF on 127.0.0.1 and prints the URL and the demo accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
exec pnpm demo
