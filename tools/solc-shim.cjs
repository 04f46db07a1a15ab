#!/usr/bin/env node
// A native-solc look-alike over solc-js, so that py-solc-x (and brownie, through it)
// can drive the npm compiler: no registry ships a native Linux solc.
//
//   solc-shim.cjs --version                      -> "Version: 0.8.x+commit..." like native solc
//   solc-shim.cjs --standard-json [opts] < in    -> standard JSON out on stdout
//
// Imports the compiler asks for are read from disk: as given, relative to the working
// directory, to any --base-path / --include-path / --allow-paths folder, and to the
// repository's node_modules (so "@openzeppelin/..." resolves without remappings).
'use strict';

const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..');
const solc = require(path.join(repoRoot, 'node_modules', 'solc'));

function optionValues(argv, name) {
  const values = [];
  argv.forEach((arg, i) => {
    if (arg === name && i + 1 < argv.length) values.push(argv[i + 1]);
    else if (arg.startsWith(name + '=')) values.push(arg.slice(name.length + 1));
  });
  return values.flatMap((v) => v.split(',')).filter(Boolean);
}

function searchRoots(argv) {
  return [
    process.cwd(),
    ...optionValues(argv, '--base-path'),
    ...optionValues(argv, '--include-path'),
    ...optionValues(argv, '--allow-paths'),
    path.join(repoRoot, 'node_modules'),
    repoRoot,
  ];
}

function makeImportCallback(roots) {
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const file of candidates) {
      if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        return { contents: fs.readFileSync(file, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

// Write and let node exit by itself: process.exit() right after a large write to a
// pipe truncates the output.
function emit(text, code) {
  process.exitCode = code;
  process.stdout.write(text);
}

function main(argv) {
  if (argv.includes('--version')) {
    emit(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`, 0);
    return;
  }
  if (!argv.includes('--standard-json')) {
    process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
    process.exitCode = 2;
    return;
  }
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    const input = Buffer.concat(chunks).toString('utf8');
    const output = solc.compile(input, { import: makeImportCallback(searchRoots(argv)) });
    emit(output, 0);
  });
}

main(process.argv.slice(2));
