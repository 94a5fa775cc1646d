// Names this jest run, so that every queue prefix its tests make (uniqueQueuePrefix) carries the
// name and the teardown can remove the run's keys from the shared Redis. Set before jest starts
// its workers, which inherit it.
const { randomBytes } = require('node:crypto');

module.exports = async function nameTheRun() {
  process.env.SM_TEST_RUN ??= `run${randomBytes(5).toString('hex')}`;
};
