#!/usr/bin/env bash
# `npm test`: every test. Type check, unit + integration tests (vitest, real MongoDB and Redis started
# by the test setup), a production build of the web app, then the browser tests (Playwright driving
# Debian's Chromium against the real app with its real services). Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
failed=()
mkdir -p test-results
rm -f test-results/vitest.json test-results/playwright.json
step() { echo; echo "=== $1"; }

step "type check (tsc --noEmit)"
npx tsc --noEmit -p . || failed+=("typecheck")

step "unit and integration tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json || failed+=("vitest")

step "build the web app (next build)"
if npx next build > test-results/next-build.log 2>&1; then
  echo "built"
  step "browser tests (playwright, /usr/bin/chromium)"
  PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/playwright.json npx playwright test --reporter=list,json || failed+=("playwright")
else
  tail -60 test-results/next-build.log
  failed+=("next build")
fi

# One closing line counting every test case of both runners.
node -e '
const fs = require("fs");
let passed = 0, failedN = 0, skipped = 0;
try { const v = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8"));
  passed += v.numPassedTests; failedN += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests || 0); } catch {}
try { const s = JSON.parse(fs.readFileSync("test-results/playwright.json", "utf8")).stats;
  passed += s.expected; failedN += s.unexpected + s.flaky; skipped += s.skipped; } catch {}
console.log(`\n${passed} passed, ${failedN} failed, ${skipped} skipped`);
'
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED steps: ${failed[*]}"; exit 1; fi
