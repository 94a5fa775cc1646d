// The whole suite in one jest run (`npm test`): every project's own jest config.
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs', 'tools']
  .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).map((name) => path.join(dir, name)) : []))
  .filter((dir) => existsSync(path.join(dir, 'jest.config.js')))
  .map((dir) => `<rootDir>/${dir}`);

// testTimeout is a global option: in a multi-project run the projects' own value is ignored.
module.exports = { projects, testTimeout: 60_000 };
