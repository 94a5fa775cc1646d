// A jest run's name: `run` and ten hex digits. Only a name of this shape is used as the teardown's
// SCAN pattern, which would otherwise take `*` or `[a-z]*` in SM_TEST_RUN for a glob.
const { randomBytes } = require('node:crypto');

const RUN_NAME = /^run[0-9a-f]{10}$/;

const isRunName = (value) => typeof value === 'string' && RUN_NAME.test(value);
const newRunName = () => `run${randomBytes(5).toString('hex')}`;

module.exports = { isRunName, newRunName };
