#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (Node 24, pnpm, packages, the pinned
# MLflow versions), then runs type checks, lint (zero warnings), the format check, unit tests, integration tests against real services, the deployment
# checks and the browser tests, and fails if any test was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lib/ensure-system-packages.sh
source scripts/lib/ensure-node.sh
source scripts/lib/ensure-pnpm.sh

pnpm install --frozen-lockfile
pnpm build
pnpm --filter ./tests run prepare-services
pnpm typecheck

results=.cache/test-results
rm -rf "$results" && mkdir -p "$results"
status=0
run() { echo; echo "=== $1"; shift; "$@" || status=1; }
run "lint (ESLint, zero warnings; knip: no unused files, dependencies or exports)" pnpm lint
run "format (Prettier)" pnpm format:check
run "server unit tests" pnpm --filter ./server test --json --outputFile="$PWD/$results/server-unit.json"
# (pnpm would take --reporter for itself: run vitest directly in the client package.)
run "client unit tests" pnpm --dir client exec vitest run --reporter=default --reporter=json --outputFile="$PWD/$results/client-unit.json"
run "integration tests" pnpm --filter ./tests test:integration --json --outputFile="$PWD/$results/integration.json"
run "deployment tests" pnpm --filter ./tests test:deploy --json --outputFile="$PWD/$results/deploy.json"
run "browser tests" pnpm --filter ./tests test:e2e --json --outputFile="$PWD/$results/e2e.json"
node scripts/test-summary.mjs "$results" || status=1
exit $status
