// Runs Node's worker_threads and child_process in a sandbox. Four workers
// sum ranges and post the results, and three workers add to a
// SharedArrayBuffer with Atomics. The main thread then runs children through
// execSync, exec, spawn with a large standard input, spawnSync and fork with
// IPC messages, and ends one child with SIGTERM. Prints only values that are
// the same on every run.
//
// Usage: node node_workers.js

'use strict';

const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const childProcess = require('child_process');

function sumBelow(limit) {
  let sum = 0;
  for (let number = 0; number < limit; number++) {
    sum += number;
  }
  return sum;
}

function runWorker(limit) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: limit });
    worker.on('message', resolve);
    worker.on('error', reject);
  });
}

async function runAtomicWorkers() {
  const counters = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { workerData } = require('worker_threads');
    const counters = new Int32Array(workerData);
    for (let i = 0; i < 10000; i++) Atomics.add(counters, 0, 1);`;
  const workers = [0, 1, 2].map(() => new Worker(source, { eval: true, workerData: counters.buffer }));
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.on('exit', resolve))));
  console.log('atomic count:', Atomics.load(counters, 0));
}

function runForkedChild() {
  return new Promise((resolve) => {
    const child = childProcess.fork(__filename, ['child']);
    let replies = 0;
    child.on('message', (message) => {
      console.log('reply from fork:', JSON.stringify(message));
      if (++replies === 2) {
        child.send('bye');
      }
    });
    child.on('exit', (code) => {
      console.log('fork exit code:', code);
      resolve();
    });
    child.send('one');
    child.send({ two: [2] });
  });
}

async function main() {
  console.log('worker sums:', await Promise.all([1e5, 2e5, 3e5, 4e5].map(runWorker)));
  await runAtomicWorkers();

  console.log('execSync:', JSON.stringify(childProcess.execSync('echo hi; echo there', { encoding: 'utf8' })));
  await new Promise((resolve) => childProcess.exec('ls /nonexistent', (error, stdout, stderr) => {
    console.log('exec error code:', error && error.code, 'stderr written:', stderr.length > 0);
    resolve();
  }));
  await new Promise((resolve) => {
    const cat = childProcess.spawn('cat');
    let length = 0;
    cat.stdout.on('data', (chunk) => { length += chunk.length; });
    cat.on('close', (code) => {
      console.log('spawn cat output:', length, 'exit code:', code);
      resolve();
    });
    cat.stdin.end('y'.repeat(100000));
  });
  console.log('spawnSync status:', childProcess.spawnSync('sh', ['-c', 'exit 7']).status);
  await runForkedChild();

  const sleeper = childProcess.spawn('sleep', ['10']);
  sleeper.on('exit', (code, signal) => console.log('sleep ended:', code, signal));
  setTimeout(() => sleeper.kill('SIGTERM'), 100);
}

if (process.argv[2] === 'child') {
  process.on('message', (message) => {
    process.send({ received: message });
    if (message === 'bye') {
      process.exit(0);
    }
  });
} else if (!isMainThread) {
  parentPort.postMessage(sumBelow(workerData));
} else {
  main();
}
