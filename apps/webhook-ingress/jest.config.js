module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'webhook-ingress',
  rootDir: __dirname,
};
