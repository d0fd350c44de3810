import { Button, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import type { LocoInstance } from '@loco-portal/plugin-loco-common';
import { SeatHolder } from './SeatHolder';
import type { SeatsState } from './useSeats';

const useStyles = makeStyles(theme => ({
  list: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    marginBottom: theme.spacing(1.5),
  },
  seat: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  },
}));

/**
 * Who plays where: one entry per claimed instance, "Jump to my instance"
 * (full screen) for the user's own, and a manager's "Take over" and "Free
 * seat" on anyone else's.
 */
export function SeatList({
  instances,
  seats,
  canManage,
  onJump,
}: {
  instances: LocoInstance[];
  seats: SeatsState;
  canManage: boolean;
  onJump(index: number): void;
}) {
  const classes = useStyles();
  if (!seats.list) return null;
  const claimed = seats.list.seats.filter(s =>
    instances.some(i => i.index === s.index),
  );
  return (
    <div className={classes.list} data-testid="loco-seat-list">
      <Typography variant="subtitle2">Players</Typography>
      {claimed.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          Nobody has a seat: anyone who may control can type everywhere. Press
          Play on a tile to take one.
        </Typography>
      )}
      {claimed.map(seat => (
        <span
          key={seat.index}
          className={classes.seat}
          data-testid={`loco-seat-${seat.index}`}
        >
          <Typography variant="body2">#{seat.index}</Typography>
          <SeatHolder holder={seat.holder} />
          {seat.holder === seats.me ? (
            <Button size="small" onClick={() => onJump(seat.index)}>
              Jump to my instance
            </Button>
          ) : (
            canManage && (
              <>
                <Button
                  size="small"
                  onClick={() => void seats.takeOver(seat.index)}
                >
                  Take over
                </Button>
                <Button
                  size="small"
                  onClick={() => void seats.leave(seat.index)}
                >
                  Free seat
                </Button>
              </>
            )
          )}
        </span>
      ))}
    </div>
  );
}
