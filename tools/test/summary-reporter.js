// Closes the run with one plain line, `tests: N passed, N failed[, N skipped]`, that any CI can
// read, after jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const suitesBroken = results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests + suitesBroken} failed`;
    process.stdout.write(`\n${line}${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}

module.exports = SummaryReporter;
