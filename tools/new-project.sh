#!/usr/bin/env bash
# Lays out one Nx project (project.json, tsconfigs, jest and eslint configs). Usage:
#   tools/new-project.sh apps/auth-service type:app
set -euo pipefail
dir=$1; tag=$2; name=$(basename "$dir")
depth=$(echo "$dir" | awk -F/ '{print NF}'); up=$(printf '../%.0s' $(seq 1 "$depth"))
kind=lib; [ "${dir%%/*}" = apps ] && kind=app
mkdir -p "$dir/src"
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "${up}node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "$( [ $kind = app ] && echo application || echo library )",
  "tags": ["$tag"],
  "targets": {
    "build": {
      "executor": "nx:run-commands",
      "outputs": ["{workspaceRoot}/dist/$dir"],
      "options": { "command": "node tools/build/build-project.mjs $dir" }
    },
    "lint": {
      "executor": "nx:run-commands",
      "options": { "command": "eslint --max-warnings 0 $dir" }
    },
    "test": {
      "executor": "nx:run-commands",
      "options": { "command": "jest --config $dir/jest.config.js" }
    }
  }
}
JSON
cat > "$dir/tsconfig.$kind.json" <<JSON
{
  "extends": "${up}tsconfig.base.json",
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts"]
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "${up}tsconfig.base.json",
  "compilerOptions": { "types": ["node", "jest"] },
  "include": ["src/**/*.ts", "test/**/*.ts"]
}
JSON
cat > "$dir/jest.config.js" <<JS
module.exports = {
  ...require('${up}jest.preset.js'),
  displayName: '$name',
  rootDir: __dirname,
};
JS
