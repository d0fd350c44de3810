import { Button } from '@material-ui/core';
import { SeatHolder } from './SeatHolder';
import type { SeatsState } from './useSeats';

/**
 * The seat on a tile: who plays it, or "Play" on a free one for users with
 * control; the holder gets "Leave seat". The gateway enforces the seat; this
 * only shows it and asks for changes.
 */
export function TileSeat({
  index,
  name,
  seats,
  canControl,
}: {
  index: number;
  name: string;
  seats: SeatsState;
  canControl: boolean;
}) {
  const holder = seats.holderOf(index);
  if (holder === undefined) {
    if (!canControl || !seats.list) return null;
    return (
      <Button
        size="small"
        color="primary"
        variant="contained"
        aria-label={`Play ${name}`}
        onClick={() => void seats.claim(index)}
      >
        Play
      </Button>
    );
  }
  return (
    <>
      <SeatHolder holder={holder} />
      {holder === seats.me && (
        <Button
          size="small"
          variant="outlined"
          aria-label={`Leave seat on ${name}`}
          onClick={() => void seats.leave(index)}
        >
          Leave seat
        </Button>
      )}
    </>
  );
}
