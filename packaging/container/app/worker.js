// The example worker of packaging/container/Dockerfile: it works on files in
// its data directory (DATA_DIR, /data in the image) and stops cleanly on
// SIGTERM, as a worker behind airlock should. Each line of worker.log says
// what the sandbox let it do.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const dataDir = process.env.DATA_DIR || '/data';
const logFile = path.join(dataDir, 'worker.log');

function log(message) {
  fs.appendFileSync(logFile, `${new Date().toISOString()} ${message}\n`);
}

function canWrite(dir) {
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'x');
    fs.unlinkSync(probe);
    return 'yes';
  } catch (e) {
    return `no (${e.code})`;
  }
}

log(`started: uid ${process.getuid()}, pid ${process.pid}, host ${os.hostname()}`);
log(`code directory ${__dirname} writable: ${canWrite(__dirname)}`);
log(`data directory ${dataDir} writable: ${canWrite(dataDir)}`);

let ticks = 0;
const timer = setInterval(() => {
  ticks += 1;
  fs.writeFileSync(path.join(dataDir, 'heartbeat'), `${ticks}\n`);
}, 1000);

process.on('SIGTERM', () => {
  clearInterval(timer);
  log(`stopping after ${ticks} ticks`);
  process.exit(0);
});
