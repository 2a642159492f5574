import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { processAlive } from '../util/processAlive.js';

/**
 * Takes DIR/run.lock for this process, so that two processes never train the same run folder at once (both
 * would append to its log and overwrite its checkpoint). A lock left by a process that no longer runs — a run
 * killed with SIGKILL — is taken over. Returns the release function.
 */
export function acquireRunLock(dir: string): () => void {
  const file = join(dir, 'run.lock');
  const me = `${process.pid} ${hostname()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, me);
      closeSync(fd);
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
