export interface Config {
  /** Loco Portal: live QEMU emulator environments. */
  loco?: {
    /** The embedded runtime: emulators as QEMU child processes of the backend. */
    local?: {
      /**
       * Run the embedded runtime. Default true.
       * @visibility backend
       */
      enabled?: boolean;
      /**
       * QEMU system emulator binary. Default `qemu-system-x86_64`.
       * @visibility backend
       */
      qemuBinary?: string;
      /**
       * Where persistent instance disks live, relative to the working directory. Default `.loco`.
       * @visibility backend
       */
      stateDir?: string;
      /**
       * Guest memory in MiB. Default 128.
       * @visibility backend
       */
      memoryMb?: number;
      /**
       * Display adapter: std, cirrus or vmware. Default std.
       * @visibility backend
       */
      vga?: 'std' | 'cirrus' | 'vmware';
      /**
       * Base disk images by snapshot tag, e.g. `demo` or `win98-base`.
       * @visibility backend
       */
      images?: {
        [tag: string]: {
          /** @visibility backend */
          path: string;
        };
      };
      /**
       * Environments started with the backend.
       * @visibility backend
       */
      environments?: Array<{
        /** @visibility backend */
        name: string;
        /** @visibility backend */
        instances: number;
        /** @visibility backend */
        image: string;
        /** @visibility backend */
        storageMode?: 'persistent' | 'hybrid' | 'ephemeral' | 'hostpath';
        /** @visibility backend */
        owner?: string;
      }>;
    };
  };
}
