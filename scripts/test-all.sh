#!/usr/bin/env bash
# `npm test`: every test. Type check, unit + integration tests (vitest, real MongoDB and Redis started
# by the test setup), a production build of the web app, then the browser tests (Playwright driving
# Debian's Chromium against the real app with its real services). Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
failed=()
mkdir -p test-results test-reports  # test-reports: the runners' JSON (Playwright empties test-results when it starts)
rm -f test-reports/vitest.json test-reports/vitest-rerun.json test-reports/playwright.json
step() { echo; echo "=== $1"; }

step "type check (tsc --noEmit)"
npx tsc --noEmit -p . || failed+=("typecheck")

step "unit and integration tests (vitest)"
if ! npx vitest run --reporter=default --reporter=json --outputFile=test-reports/vitest.json; then
  # The MongoDB of machines without a Linux mongod runs under Wine, which sometimes crashes as many
  # connections close at once; the harness restarts it (test/setup/global-services.ts), but the file
  # that was running fails. Failed files get ONE more run, named here; the summary counts that run.
  mapfile -t again < <(node scripts/vitest-failed-files.cjs test-reports/vitest.json)
  if [ ${#again[@]} -gt 0 ] && [ ${#again[@]} -le 10 ]; then
    step "vitest: one more run of the ${#again[@]} failed file(s): ${again[*]}"
    npx vitest run "${again[@]}" --reporter=default --reporter=json --outputFile=test-reports/vitest-rerun.json || failed+=("vitest")
  else
    failed+=("vitest")
  fi
fi

step "build the web app (next build)"
if npx next build > test-results/next-build.log 2>&1; then
  echo "built"
  step "browser tests (playwright, /usr/bin/chromium)"
  PLAYWRIGHT_JSON_OUTPUT_NAME=test-reports/playwright.json npx playwright test --reporter=list,json || failed+=("playwright")
else
  tail -60 test-results/next-build.log
  failed+=("next build")
fi

# The failed tests with their errors, then one line counting every test case of both runners.
node scripts/test-summary.cjs
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED steps: ${failed[*]}"; exit 1; fi
