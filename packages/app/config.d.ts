export interface Config {
  auth?: {
    providers?: {
      /** Demo players (packages/backend/src/demoPlayers.ts), offered on the sign-in page. */
      'demo-players'?: {
        /**
         * Names of catalog Users (namespace `default`) anyone may sign in as.
         * @visibility frontend
         */
        users?: string[];
      };
    };
  };
}
