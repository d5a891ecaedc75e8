#!/usr/bin/env bash
# `pnpm bench`: builds the BFF and the SPA, then measures them against the real services (MLflow 3.18.0,
# installed into .cache/ on first run, the test OpenID provider and the PAPI double, all on 127.0.0.1) and
# prints a table of latency, MLflow calls per action, the BFF's memory and the SPA's first-load bytes,
# with the targets. See tests/bench/run.ts; options pass through, e.g. `pnpm bench --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh >&2
source scripts/lib/ensure-pnpm.sh >&2
pnpm build >&2
exec pnpm --dir tests exec tsx bench/run.ts "$@"
