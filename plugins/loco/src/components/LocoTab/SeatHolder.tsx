import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { Avatar } from '@backstage/core-components';
import { Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  holder: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    minWidth: 0,
  },
}));

interface Profile {
  displayName?: string;
  picture?: string;
}

/**
 * A seat holder: the picture and name of their catalog User entity, or the
 * entity ref itself when the catalog has none (never a guessed name).
 */
export function SeatHolder({ holder }: { holder: string }) {
  const catalogApi = useApi(catalogApiRef);
  const classes = useStyles();
  const [profile, setProfile] = useState<Profile>({});
  useEffect(() => {
    let active = true;
    catalogApi
      .getEntityByRef(holder)
      .then(entity => {
        const p = (entity?.spec as { profile?: Profile } | undefined)?.profile;
        if (active) setProfile(p ?? {});
      })
      .catch(() => active && setProfile({}));
    return () => {
      active = false;
    };
  }, [catalogApi, holder]);
  const name = profile.displayName ?? holder;
  return (
    <span className={classes.holder} data-testid="loco-seat-holder">
      <Avatar
        displayName={name}
        picture={profile.picture}
        customStyles={{ width: 20, height: 20, fontSize: 10 }}
      />
      <Typography variant="body2" noWrap title={holder}>
        {name}
      </Typography>
    </span>
  );
}
