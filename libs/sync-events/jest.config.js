module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'sync-events',
  rootDir: __dirname,
};
