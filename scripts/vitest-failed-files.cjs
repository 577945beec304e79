// Prints the test files that failed in a vitest JSON report (one per line, relative paths), for
// scripts/test-all.sh's one re-run. Usage: node scripts/vitest-failed-files.cjs test-reports/vitest.json
const fs = require('fs');
const path = require('path');
let report;
try {
  report = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
} catch {
  process.exit(0); // no report: vitest did not get as far as writing one; nothing to re-run
}
for (const file of report.testResults || []) {
  if (file.status !== 'passed') console.log(path.relative(process.cwd(), file.name));
}
