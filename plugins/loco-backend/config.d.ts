import type { HumanDuration } from '@backstage/types';

export interface Config {
  loco?: {
    /** The VNC gateway: WebSocket sessions between browsers and emulator screens. */
    gateway?: {
      /**
       * Open VNC sessions one user may hold at once, over all instances (a grid
       * of 9 tiles in two tabs is 18). Further upgrades get 429. Default 32.
       * @visibility backend
       */
      maxSessionsPerUser?: number;
      /**
       * Close a session after this long without any message from the viewer
       * (no frame requests, no input). Long by default: 4 hours.
       * A number is seconds; a string such as '4h' or 'PT4H', or an object
       * such as { hours: 4 }, is a duration.
       * @visibility backend
       */
      idleTimeout?: number | string | HumanDuration;
      /**
       * WebSocket ping interval; a viewer that has not answered the previous
       * ping is cut. Default 30 seconds. Same formats as idleTimeout.
       * @visibility backend
       */
      heartbeatInterval?: number | string | HumanDuration;
      /**
       * Carry screens from VNC to the browser with the native relay - splice(2)
       * from pod TCP, one read/write per batch from local QEMU's unix socket;
       * a quarter to half of websockify's CPU per GB - when it was built on
       * install (Linux, a C compiler). It also writes the viewer's input to VNC. Plain sockets only: TLS
       * browser connections and port-forwarded targets always use the
       * JavaScript relay. Default true; false forces the JavaScript relay.
       * @visibility backend
       */
      zeroCopy?: boolean;
    };
    /**
     * Seats: a user with loco.instance.control claims an instance ("Play") and
     * then only their input reaches it; everyone else watches. Instances
     * without a seat keep the plain rule (whoever has control types).
     */
    seats?: {
      /**
       * Seats one user may hold in one environment at once. Default 1.
       * @visibility backend
       */
      maxPerUser?: number;
      /**
       * How long a holder may have no screen of the instance open before the
       * seat is freed. Default 3 minutes. A number is seconds; a string such
       * as '5m' or an object such as { minutes: 5 } is a duration.
       * @visibility backend
       */
      gracePeriod?: number | string | HumanDuration;
    };
    /** Health badges. */
    badges?: {
      /**
       * Serve public badge addresses (/api/loco/badges/public/<random id>.svg)
       * that need no Backstage session, for READMEs and wikis outside the
       * portal. Such an address shows the health counts of one environment to
       * anyone who has it, and names nothing. Default true; false removes the
       * public route and stops handing out addresses.
       * @visibility backend
       */
      public?: boolean;
    };
  };
}
