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
       * Where persistent and hybrid instance disks live, relative to the working directory. Default `.loco`.
       * @visibility backend
       */
      stateDir?: string;
      /**
       * Host directory for environments with storageMode `hostpath` (`<hostPath>/<env>/<index>/`).
       * @visibility backend
       */
      hostPath?: string;
      /**
       * How hybrid environments show their shared folder (`<stateDir>/environments/<env>/shared`):
       * `rw` (default) a read-write FAT disk, which rules out RAM snapshots; `ro` a FAT CD-ROM.
       * @visibility backend
       */
      sharedDirMode?: 'rw' | 'ro';
      /**
       * Accelerator: `tcg` (default) or `kvm`. KVM is verified after start; a guest that
       * hangs or hits internal-error under KVM falls back to TCG with a warning.
       * @visibility backend
       */
      accel?: 'tcg' | 'kvm';
      /**
       * Cold boots at once (default: number of cores). Snapshot starts are never limited.
       * @visibility backend
       */
      coldBootConcurrency?: number;
      /**
       * Guest memory in MiB (default 128); an image may override it.
       * @visibility backend
       */
      memoryMb?: number;
      /**
       * Display adapter: std, cirrus or vmware. Default std; an image may override it.
       * @visibility backend
       */
      vga?: 'std' | 'cirrus' | 'vmware';
      /**
       * Sound card on QEMU's host-less `none` audio backend: none (default), sb16, ac97 or es1370.
       * @visibility backend
       */
      sound?: 'none' | 'sb16' | 'ac97' | 'es1370';
      /**
       * Extra QEMU arguments for every instance, one array element per argument.
       * Only ever taken from config, never from API input.
       * @visibility backend
       */
      extraArgs?: string[];
      /**
       * The local snapshot-tag catalog: base disk images by tag, e.g. `demo` or `win98-base`.
       * @visibility backend
       */
      images?: {
        [tag: string]: {
          /**
           * qcow2 or raw disk (checked with `qemu-img info`).
           * @visibility backend
           */
          path: string;
          /**
           * Internal RAM snapshot inside a qcow2 `path` that instances resume from.
           * @visibility backend
           */
          snapshot?: string;
          /** @visibility backend */
          memoryMb?: number;
          /** @visibility backend */
          vga?: 'std' | 'cirrus' | 'vmware';
          /** @visibility backend */
          sound?: 'none' | 'sb16' | 'ac97' | 'es1370';
          /**
           * Appended after the runtime-wide extraArgs.
           * @visibility backend
           */
          extraArgs?: string[];
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
        /**
         * Snapshot tag: a key of `images`.
         * @visibility backend
         */
        image: string;
        /** @visibility backend */
        storageMode?: 'persistent' | 'hybrid' | 'ephemeral' | 'hostpath';
        /** @visibility backend */
        owner?: string;
        /**
         * This environment's sound card, over its image's; `none` switches
         * sound off for this environment only.
         * @visibility backend
         */
        sound?: 'none' | 'sb16' | 'ac97' | 'es1370';
      }>;
      /**
       * Snapshot tags that are not in `images` are pulled from this OCI
       * registry (docs/snapshots.md) into `<stateDir>/snapshots/` and reused
       * until the tag moves. A create returns at once and pulls in the
       * background (progress on the instances' health); when a pull fails,
       * the environment's snapshotFallback (default `builtin`) boots the
       * first of `images`, or (`fail`) keeps the instances down with the
       * registry's reason.
       */
      snapshots?: {
        /**
         * OCI repository without scheme, e.g. `registry.example.com/loco/snapshots`.
         * @visibility backend
         */
        registry: string;
        /**
         * User for basic auth, or for the registry's token service.
         * @visibility backend
         */
        username?: string;
        /**
         * Password or access token of `username`.
         * @visibility secret
         */
        password?: string;
        /**
         * Speak plain HTTP instead of HTTPS (default: only for loopback registries).
         * @visibility backend
         */
        plainHttp?: boolean;
      };
    };
    /**
     * The Kubernetes runtime: environments installed by the Helm chart, found by
     * watching emulator pods and StatefulSets. No clusters: local-only.
     * When `clusters` is absent, the `type: config` clusters of Backstage's
     * `kubernetes.clusterLocatorMethods` with authProvider serviceAccount and a
     * serviceAccountToken are used; `clusters: []` turns that off.
     */
    kubernetes?: {
      /** @visibility backend */
      clusters?: Array<{
        /**
         * [a-z0-9-]+; shown as the environments' location and used as the scaffolder's `cluster` input.
         * @visibility backend
         */
        name: string;
        /**
         * API server URL, e.g. https://k8s.example:6443 (required for authProvider serviceAccount).
         * @visibility backend
         */
        url?: string;
        /**
         * Base64 PEM of the API server's CA.
         * @visibility backend
         */
        caData?: string;
        /**
         * Path of the API server's CA file (instead of caData).
         * @visibility backend
         */
        caFile?: string;
        /**
         * Skip TLS verification (needed for plain http). Default false.
         * @visibility backend
         */
        skipTLSVerify?: boolean;
        /**
         * How to authenticate. Default serviceAccount.
         * @visibility backend
         */
        authProvider?: 'serviceAccount' | 'kubeconfig';
        /**
         * Bearer token of a service account allowed to list/watch pods and statefulsets (and create pods/portforward for portForward access).
         * @visibility secret
         */
        serviceAccountToken?: string;
        /**
         * Kubeconfig file for authProvider kubeconfig.
         * @visibility backend
         */
        kubeconfigPath?: string;
        /**
         * Context of the kubeconfig to use; its current context otherwise.
         * @visibility backend
         */
        kubeconfigContext?: string;
        /**
         * Namespaces to watch; empty or absent watches all namespaces.
         * @visibility backend
         */
        namespaces?: string[];
        /**
         * How the backend reaches emulator ports: `direct` to the pod IP (backend in the cluster network) or `portForward` through the API server. Default direct.
         * @visibility backend
         */
        emulatorAccess?: 'direct' | 'portForward';
      }>;
    };
    /**
     * Provisioning on Kubernetes: how the Kubernetes runtime runs Helm to create,
     * update and destroy environments (src/kubernetes/helm, read in
     * src/provisioning); the scaffolder actions go through it.
     */
    helm?: {
      /**
       * Helm executable. Default `helm`.
       * @visibility backend
       */
      binary?: string;
      /**
       * Chart location: a path (relative to the working directory) or an OCI ref. Default `../../chart`.
       * @visibility backend
       */
      chart?: string;
      /**
       * Helm --timeout for install, upgrade, rollback and uninstall (Go duration). Default `10m`.
       * @visibility backend
       */
      timeout?: string;
      /**
       * Namespace when neither the template nor the cluster's `namespaces` names one. Default `loco`.
       * @visibility backend
       */
      defaultNamespace?: string;
      /**
       * Snapshot tags the create form offers for Kubernetes environments (empty = any tag).
       * @visibility backend
       */
      snapshotTags?: string[];
      /**
       * Default OCI repository of the snapshot tags, e.g. ghcr.io/org/loco-snapshots.
       * @visibility backend
       */
      snapshotRegistry?: string;
      /**
       * Names of `kubernetes.io/dockerconfigjson` Secrets in each release's namespace that the
       * portal's releases mount: `pull` (the chart's snapshot.registryConfigSecret) and `push`
       * (snapshot.publishConfigSecret, for publishing from pods).
       * @visibility backend
       */
      snapshotRegistrySecrets?: { pull?: string; push?: string };
      /**
       * Credentials the backend lists `snapshotRegistry`'s tags with for the create form
       * (pods pull and push with the chart's Secrets, not these). Never sent to browsers.
       */
      snapshotRegistryCredentials?: {
        /** @visibility backend */
        username: string;
        /** @visibility secret */
        password: string;
      };
    };
  };
}
