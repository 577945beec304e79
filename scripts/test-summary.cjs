// `npm test`'s closing lines (scripts/test-all.sh): every failed test with the first lines of its error,
// then one line counting every test case of both runners. The failures are printed here, at the end,
// so that the last lines of a CI log say what failed and why.
const fs = require('fs');

const read = (name) => {
  try {
    return JSON.parse(fs.readFileSync(name, 'utf8'));
  } catch {
    return null;
  }
};
// ANSI colour codes out, at most `n` non-empty lines
const firstLines = (text, n = 6) =>
  String(text ?? '')
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n)
    .map((l) => `      ${l.slice(0, 300)}`)
    .join('\n');

let passed = 0, failed = 0, skipped = 0;
const failures = [];

// vitest: per file, the re-run (when there was one) replaces the first run of that file
const files = new Map();
for (const name of ['test-reports/vitest.json', 'test-reports/vitest-rerun.json']) {
  for (const f of read(name)?.testResults ?? []) files.set(f.name, f);
}
for (const f of files.values()) {
  const tests = f.assertionResults || [];
  for (const a of tests) {
    if (a.status === 'passed') passed++;
    else if (a.status === 'failed') {
      failed++;
      failures.push(`vitest ${f.name.replace(process.cwd() + '/', '')} > ${a.fullName}\n${firstLines((a.failureMessages || []).join('\n'))}`);
    } else skipped++;
  }
  // a file that failed outside its tests (import error, a failing beforeAll) counts as one failure
  if (f.status !== 'passed' && !tests.some((a) => a.status === 'failed')) {
    failed++;
    failures.push(`vitest ${f.name.replace(process.cwd() + '/', '')} (outside its tests)\n${firstLines(f.message)}`);
  }
}

const playwright = read('test-reports/playwright.json');
if (playwright) {
  const s = playwright.stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
  // every attempt's error of each test that did not pass in the end, and of the flaky ones
  const walk = (suite, where) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== 'unexpected' && t.status !== 'flaky') continue;
        const errors = (t.results ?? []).map((r, i) => `    attempt ${i + 1}: ${r.status} after ${Math.round((r.duration ?? 0) / 1000)} s\n${firstLines(r.error?.message ?? r.errors?.[0]?.message, 10)}`);
        failures.push(`playwright ${t.status === 'flaky' ? '(flaky, passed on retry) ' : ''}${spec.file}:${spec.line} > ${spec.title}\n${errors.join('\n')}`);
      }
    }
    for (const child of suite.suites ?? []) walk(child, where);
  };
  for (const suite of playwright.suites ?? []) walk(suite);
  if (s.flaky) console.log(`\nplaywright: ${s.flaky} test(s) passed only on their retry (flaky), counted as passed`);
}

if (failures.length) console.log(`\nwhat failed (and what passed only on a retry):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
