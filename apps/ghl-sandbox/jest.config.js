module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'ghl-sandbox',
  rootDir: __dirname,
};
