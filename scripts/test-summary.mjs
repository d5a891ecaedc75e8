// Sums the JSON results of every test run, prints one closing line, and fails when a run is missing,
// a test failed, or any test was skipped or left as todo: a skipped test is not a passing one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const expected = ['server-unit', 'client-unit', 'integration', 'deploy', 'e2e'];
let passed = 0,
  failed = 0,
  skipped = 0;
const problems = [];
const found = new Set(
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.basename(f, '.json')),
);
for (const name of expected) {
  if (!found.has(name)) {
    problems.push(`${name}: no results (the run crashed before reporting)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const skippedHere = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += skippedHere;
  if ((r.numTotalTests ?? 0) === 0) problems.push(`${name}: ran no test`);
  if (skippedHere) problems.push(`${name}: ${skippedHere} skipped or todo`);
  console.log(`${name.padEnd(12)} ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skippedHere} skipped`);
}
for (const p of problems) console.log(`problem: ${p}`);
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed || problems.length ? 1 : 0);
