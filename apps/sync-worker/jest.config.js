module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'sync-worker',
  rootDir: __dirname,
};
