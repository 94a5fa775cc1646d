module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'ghl-client',
  rootDir: __dirname,
};
