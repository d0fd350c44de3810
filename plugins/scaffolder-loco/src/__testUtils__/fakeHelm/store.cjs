// The fake helm's state (test double): release records per "<namespace>/<name>"
// as helm keeps them (one record per revision, pkg/release/status.go states),
// the namespaces that exist, every call, and the test's controls. Several fake
// helm processes may run at once (concurrent scaffolder tasks), so every
// read-modify-write holds a lock, as helm's storage driver relies on the API
// server refusing a second create of one release record.
const fs = require('fs');
const path = require('path');

const pause = new Int32Array(new SharedArrayBuffer(4));

function createStore(dir) {
  const file = name => path.join(dir, name);
  const read = (name, fallback) =>
    fs.existsSync(file(name))
      ? JSON.parse(fs.readFileSync(file(name), 'utf8'))
      : fallback;
  const write = (name, value) => {
    // Whole-file replace, so a reader never sees half a file.
    const tmp = `${file(name)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
    fs.renameSync(tmp, file(name));
  };

  function locked(fn) {
    const lock = file('lock');
    for (;;) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
        Atomics.wait(pause, 0, 0, 5);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmdirSync(lock);
    }
  }

  return {
    dir,
    control: () => read('control.json', {}),
    /** Runs fn({ releases, namespaces }) under the lock and saves what it changed. */
    transact(fn) {
      return locked(() => {
        const state = {
          releases: read('releases.json', {}),
          namespaces: read('namespaces.json', ['default']),
        };
        const result = fn(state);
        write('releases.json', state.releases);
        write('namespaces.json', state.namespaces);
        return result;
      });
    },
    recordCall(call) {
      locked(() => write('calls.json', [...read('calls.json', []), call]));
    },
  };
}

/** The latest record (helm's Releases.Last) and the latest deployed one. */
function lastOf(history) {
  return history.length ? history[history.length - 1] : undefined;
}
function deployedOf(history) {
  return [...history].reverse().find(r => r.status === 'deployed');
}
/** pkg/release/status.go IsPending: pending-install, -upgrade or -rollback. */
const isPending = record =>
  ['pending-install', 'pending-upgrade', 'pending-rollback'].includes(
    record?.status,
  );

module.exports = { createStore, lastOf, deployedOf, isPending };
