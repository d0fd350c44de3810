/**
 * What the environment's settings mean, in sentences: shared by the Loco tab
 * (which labels them) and the scaffolder form (which offers them).
 */
export const RUNTIME_WORDS: Record<string, string> = {
  local: "QEMU emulators on the portal's own host",
  kubernetes: 'a Helm release of the Loco chart on a Kubernetes cluster',
};

export const STORAGE_WORDS: Record<string, string> = {
  ephemeral: 'clean disks on every start, nothing is kept',
  persistent: 'every instance keeps its own disk across restarts',
  hybrid: 'persistent disks plus one folder shared by all instances',
  hostpath: 'instance disks in a directory on the host (single-node setups)',
};

/** "Local", "Persistent": a raw value as a word at the start of a sentence. */
export const capitalised = (value: string) =>
  value.charAt(0).toUpperCase() + value.slice(1);
