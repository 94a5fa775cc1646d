module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'automation-rules',
  rootDir: __dirname,
};
