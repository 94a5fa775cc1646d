// Names this jest run, so that every queue prefix its tests make (uniqueQueuePrefix) carries the
// name and the teardown can remove the run's keys from the shared Redis. Set before jest starts
// its workers, which inherit it. Every project of a run calls it: the first one names the run,
// the others keep that name; a value of another shape is replaced (see run-name.cjs).
const { isRunName, newRunName } = require('./run-name.cjs');

module.exports = async function nameTheRun() {
  if (!isRunName(process.env.SM_TEST_RUN)) process.env.SM_TEST_RUN = newRunName();
};
