/**
 * Seats: the LAN-party rule of the Loco tab. A user with
 * `loco.instance.control` claims a free instance ("Play"); while it has a
 * holder, the VNC gateway passes only the holder's input to it and everyone
 * else watches. An instance without a seat keeps the plain rule: whoever has
 * control may type. A user with `loco.environment.manage` may take a seat
 * over or free it.
 */

/**
 * One claimed instance.
 *
 * @public
 */
export interface LocoSeat {
  environment: string;
  index: number;
  /** The holder's user entity ref, e.g. `user:default/ada`. */
  holder: string;
  /** ISO time of the claim (or take-over). */
  claimedAt: string;
}

/**
 * The answer of `GET` {@link seatsPath}.
 *
 * @public
 */
export interface LocoSeatList {
  environment: string;
  seats: LocoSeat[];
  /** Seconds a holder may be away (no open screen of the instance) before the seat is freed. */
  gracePeriodSeconds: number;
  /** Seats one user may hold in one environment at once. */
  maxSeatsPerUser: number;
}

/**
 * `GET`: the environment's seats ({@link LocoSeatList}), with `loco.environment.read`.
 *
 * @public
 */
export function seatsPath(environment: string): string {
  return `/environments/${encodeURIComponent(environment)}/seats`;
}

/**
 * One instance's seat: `POST` claims it (`loco.instance.control`; 409 when it
 * is taken or the user holds the most seats allowed), `DELETE` releases it (the
 * holder) or frees it (anyone else, with `loco.environment.manage`). Both
 * answer the seat list.
 *
 * @public
 */
export function seatPath(environment: string, index: number): string {
  return `/environments/${encodeURIComponent(
    environment,
  )}/instances/${index}/seat`;
}

/**
 * `POST`: a manager (`loco.environment.manage`) takes the instance's seat,
 * whoever holds it; answers the seat list.
 *
 * @public
 */
export function seatTakeOverPath(environment: string, index: number): string {
  return `${seatPath(environment, index)}/take-over`;
}

/**
 * Audit event id of every seat change made through the API (claim, release,
 * take-over, free), refused attempts included; `meta.seatAction` says which.
 *
 * @public
 */
export const SEAT_AUDIT_EVENT = 'loco-seat';

/**
 * The seat changes a user can make.
 *
 * @public
 */
export type LocoSeatAction = 'claim' | 'release' | 'take-over' | 'free';
