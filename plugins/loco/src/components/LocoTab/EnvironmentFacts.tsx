import type { LocoEnvironment } from '@loco-portal/plugin-loco-common';
import { Tooltip, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import { RUNTIME_WORDS, STORAGE_WORDS } from '../../words';

const useStyles = makeStyles(theme => ({
  facts: { display: 'flex', gap: theme.spacing(1.5), flexWrap: 'wrap' },
  value: { color: theme.palette.text.primary },
}));

/**
 * Runtime, place and storage of the environment, each with its name and a
 * tooltip saying what it means ("local · local · persistent" alone did not).
 */
export function EnvironmentFacts({
  environment,
}: {
  environment: LocoEnvironment;
}) {
  const classes = useStyles();
  const { runtime, location, storageMode } = environment;
  const place =
    runtime === 'local'
      ? "this portal's host"
      : `cluster/namespace ${location}`;
  const facts = [
    {
      name: 'Runtime',
      value: runtime,
      meaning: RUNTIME_WORDS[runtime] ?? runtime,
    },
    { name: 'Runs on', value: location, meaning: place },
    {
      name: 'Storage',
      value: storageMode,
      meaning: STORAGE_WORDS[storageMode] ?? storageMode,
    },
  ];
  return (
    <div className={classes.facts} data-testid="loco-environment-facts">
      {facts.map(f => (
        <Tooltip key={f.name} title={`${f.name} ${f.value}: ${f.meaning}`}>
          <Typography variant="body2" color="textSecondary" tabIndex={0}>
            {f.name}: <span className={classes.value}>{f.value}</span>
          </Typography>
        </Tooltip>
      ))}
    </div>
  );
}
