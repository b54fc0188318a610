// Runs child processes from Node in a sandbox: spawnSync with its output
// and exit status, and an asynchronous execFile whose output comes back
// through a callback. The children are Node itself.
//
// Usage: node node_child_process.js

'use strict';

const childProcess = require('child_process');

const child = childProcess.spawnSync(process.execPath, ['-e', 'console.log(6 * 7); process.exit(5)']);
console.log('spawnSync status:', child.status, 'output:', child.stdout.toString().trim());

childProcess.execFile(process.execPath, ['-e', 'process.stdout.write("from execFile")'],
  (error, stdout) => {
    console.log('execFile error:', error, 'output:', stdout);
  });
