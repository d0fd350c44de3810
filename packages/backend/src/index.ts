/*
 * The Loco Portal backend: a Backstage backend with the Loco plugins installed.
 * One process serves the app, the API and the VNC gateway on :7007.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// Several people at once on the demo portal, each a catalog User (seats).
backend.add(import('./demoPlayers'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@loco-portal/plugin-catalog-backend-module-loco'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./permissionPolicy'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@loco-portal/plugin-scaffolder-backend-module-loco'));

backend.add(import('@loco-portal/plugin-loco-backend'));

// Backstage's Kubernetes tab for Kubernetes environments (their entities carry
// its annotations). Without a `kubernetes` config block it only logs a warning
// and serves nothing, so the local-only demo starts as before.
backend.add(import('@backstage/plugin-kubernetes-backend'));

backend.start();
