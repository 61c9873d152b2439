// Prints one closing line, "tests: N passed, N failed, N skipped", from the vitest JSON reports that
// `npm test` leaves in test-artifacts/ (unit + e2e), so CI logs end with a count a reader can trust.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of ['test-artifacts/vitest-unit.json', 'test-artifacts/vitest-e2e.json']) {
  if (!existsSync(file)) {
    console.log(`${file}: missing (that stage did not run)`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
