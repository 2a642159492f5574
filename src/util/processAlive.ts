/**
 * Whether process `pid` on this machine may still be running: false only when the system says no such process
 * (ESRCH). EPERM (alive, owned by someone else) and any other answer count as alive, so a caller never removes
 * a file or takes over a lock that a live process may still be using.
 * @param pid - a process id
 * @returns false when no process has that id
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
