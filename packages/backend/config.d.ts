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
    };
  };
}
