// Serve HTTP over loopback TCP from node and fetch it with http.get, then
// echo over a plain net server on ::1. Prints only values that are the
// same on every run, never the port.
'use strict';
const http = require('http');
const net = require('net');

function get(port, path) {
  return new Promise((resolve, reject) => {
    http.get({host: '127.0.0.1', port, path}, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve(`${response.statusCode} ${body.trim()}`));
    }).on('error', reject);
  });
}

async function serveHttp() {
  const server = http.createServer((request, response) => {
    if (request.url === '/fruit') {
      response.writeHead(200, {'Content-Type': 'text/plain'});
      response.end('apple banana cherry\n');
    } else {
      response.writeHead(404);
      response.end('no such fruit\n');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {address, family, port} = server.address();
  console.log('http server:', address, family, 'port is ephemeral:', port >= 32768 && port <= 60999);
  console.log('GET /fruit:', await get(port, '/fruit'));
  console.log('GET /vegetable:', await get(port, '/vegetable'));
  await new Promise((resolve) => server.close(resolve));
}

async function echoOverIpv6() {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise((resolve) => server.listen(0, '::1', resolve));
  const port = server.address().port;
  const reply = await new Promise((resolve, reject) => {
    const client = net.connect({host: '::1', port}, () => client.end('kiwi'));
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk) => { text += chunk; });
    client.on('end', () => resolve(text));
    client.on('error', reject);
  });
  console.log('echo over ::1:', reply);
  await new Promise((resolve) => server.close(resolve));
}

async function refused() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const error = await new Promise((resolve) => {
    net.connect({host: '127.0.0.1', port}).on('error', resolve);
  });
  console.log('connect to a closed port:', error.code);
}

serveHttp().then(echoOverIpv6).then(refused).catch((error) => {
  console.error('failed:', error);
  process.exit(1);
});
