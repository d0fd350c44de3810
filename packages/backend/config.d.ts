export interface Config {
  /** Settings of this demo portal (not of the Loco plugins). */
  locoPortal?: {
    /** The demo permission policy (packages/backend/src/permissionPolicy.ts). */
    permissions?: {
      /**
       * Users who may watch Loco screens but not control them, as entity
       * refs (for example `user:development/guest`). Everyone else signed in
       * may do everything.
       * @visibility backend
       */
      viewOnlyUsers?: string[];
      /**
       * If set, only these users (entity refs) get `loco.environment.manage`
       * (take seats over or free them, snapshots, environment changes);
       * everyone else not view-only may play. Unset: everyone manages.
       * @visibility backend
       */
      managers?: string[];
    };
  };
  auth?: {
    providers?: {
      /** Demo players (src/demoPlayers.ts); `users` is in packages/app/config.d.ts. */
      'demo-players'?: {
        /** Like the guest provider's: allows it when NODE_ENV is not development. */
        dangerouslyAllowOutsideDevelopment?: boolean;
      };
    };
  };
}
