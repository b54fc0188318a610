// Exercises Node in a sandbox: fs under a scratch directory, JSON,
// crypto.createHash and createHmac, resource usage, timers and promises.
// Prints only values that are the same on every run.
//
// Usage: node node_script.js SCRATCH_DIRECTORY DATA_FILE

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [scratch, dataFile] = process.argv.slice(2);
fs.mkdirSync(scratch, { recursive: true });

const fruits = fs.readFileSync(dataFile, 'utf8').split('\n').filter((line) => line !== '');
const counts = {};
for (const name of [...new Set(fruits)].sort()) {
  counts[name] = fruits.filter((fruit) => fruit === name).length;
}
console.log('counts:', JSON.stringify(counts));

const recordPath = path.join(scratch, 'record.json');
fs.writeFileSync(recordPath, JSON.stringify({ fruits, counts }, null, 1));
const loaded = JSON.parse(fs.readFileSync(recordPath, 'utf8'));
console.log('round trip equal:', JSON.stringify(loaded.counts) === JSON.stringify(counts));
console.log('file size:', fs.statSync(recordPath).size);

const contents = fs.readFileSync(recordPath);
console.log('sha256:', crypto.createHash('sha256').update(contents).digest('hex'));
console.log('md5:', crypto.createHash('md5').update(contents).digest('hex'));
console.log('hmac:', crypto.createHmac('sha1', 'key').update('litebox').digest('base64'));

const usage = process.resourceUsage();
console.log('cpu time counted:', process.cpuUsage().user > 0, 'peak rss counted:', usage.maxRSS > 0);

fs.renameSync(recordPath, recordPath + '.old');
console.log('listing:', fs.readdirSync(scratch).sort());

async function runAsynchronousSteps() {
  const order = [];
  setTimeout(() => order.push('timeout 20'), 20);
  setTimeout(() => order.push('timeout 5'), 5);
  Promise.resolve().then(() => order.push('microtask'));
  const immediate = new Promise((resolve) => setImmediate(resolve));

  const text = await fs.promises.readFile(dataFile, 'utf8');
  console.log('async read lines:', text.split('\n').length);
  await immediate;
  // Scheduled after both timers above with a longer delay, so it fires last.
  await new Promise((resolve) => setTimeout(resolve, 30));
  console.log('order:', order.join(', '));
  process.exitCode = 3;
}

runAsynchronousSteps();
