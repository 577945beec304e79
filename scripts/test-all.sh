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

# One closing line counting every test case of both runners.
node -e '
const fs = require("fs");
let passed = 0, failedN = 0, skipped = 0;
// vitest: per file, the re-run (when there was one) replaces the first run of that file
const files = new Map();
for (const name of ["test-reports/vitest.json", "test-reports/vitest-rerun.json"]) {
  try { for (const f of JSON.parse(fs.readFileSync(name, "utf8")).testResults) files.set(f.name, f); } catch {}
}
for (const f of files.values()) {
  const tests = f.assertionResults || [];
  for (const a of tests) { if (a.status === "passed") passed++; else if (a.status === "failed") failedN++; else skipped++; }
  // a file that failed outside its tests (import error, a failing beforeAll) counts as one failure
  if (f.status !== "passed" && !tests.some((a) => a.status === "failed")) failedN++;
}
try { const s = JSON.parse(fs.readFileSync("test-reports/playwright.json", "utf8")).stats;
  passed += s.expected + s.flaky; failedN += s.unexpected; skipped += s.skipped;
  if (s.flaky) console.log(`\nplaywright: ${s.flaky} test(s) passed only on their retry (flaky), counted as passed`); } catch {}
console.log(`\n${passed} passed, ${failedN} failed, ${skipped} skipped`);
'
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED steps: ${failed[*]}"; exit 1; fi
