import { closeSync, linkSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { processAlive } from '../util/processAlive.js';

/**
 * Creates `file` holding `text` only if it does not exist (EEXIST otherwise), whole or not at all: the text goes to
 * a file of this process first, which is then hard-linked into place, so a process killed at any moment never leaves
 * an empty lock behind (one killed between creating and writing the lock did, and blocked every restart). Where
 * the filesystem has no hard links, an exclusive create and a write.
 */
function createWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Takes DIR/run.lock for this process, so that two processes never train the same run folder at once (both
 * would append to its log and overwrite its checkpoint). A lock left by a process that no longer runs — a run
 * killed with SIGKILL — is taken over, and so is an empty one (left by a kill during its creation by earlier
 * versions). Returns the release function.
 */
export function acquireRunLock(dir: string): () => void {
  const file = join(dir, 'run.lock');
  const me = `${process.pid} ${hostname()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      createWhole(file, me);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === me) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = '';
    try {
      holder = readFileSync(file, 'utf8');
    } catch {
      continue; // released between our attempt and this read
    }
    if (holder.trim() === '') {
      // never written: its creator was killed before it wrote its pid (or, without hard links, is writing it now)
      let age = Infinity;
      try {
        age = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age < 2000) throw new InputError(`${dir} is being locked by another process right now; rerun in a moment`);
      rmSync(file, { force: true });
      continue;
    }
    const [pidText, host] = holder.trim().split(/\s+/);
    const pid = Number(pidText);
    if (host !== hostname()) {
      throw new InputError(`${dir} is locked by process ${pidText} on host ${host}; if no run is going on there, delete ${file}`);
    }
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      const who = pid === process.pid ? 'this process already' : `another process (pid ${pid})`;
      throw new InputError(`${dir} is being trained by ${who}; wait for it to finish or stop it, then rerun`);
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new InputError(`could not lock ${dir} (${file} keeps coming back); is another process starting the same run?`);
}
