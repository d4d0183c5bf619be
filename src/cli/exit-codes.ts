/** Exit codes of the `hotswap` command, the same for every sub-command. */
export const exitCodes = {
  /** Success. */
  ok: 0,
  /** A reload failed or was rolled back. */
  failed: 1,
  /** The command line is malformed. */
  usage: 2,
  /** The running process could not be reached. */
  unreachable: 3,
} as const;
