import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { ResponseError } from '@backstage/errors';
import { snapshotTagProblem } from '@loco-portal/plugin-loco-common';

export interface PublishSnapshotDialogProps {
  /** The instance's name, e.g. loco-demo-0. */
  name: string;
  open: boolean;
  onClose(): void;
  /** Publishes as `tag`; resolves to the digest the tag now names. */
  onPublish(tag: string): Promise<{ digest: string }>;
}

type Outcome =
  | { kind: 'publishing' }
  | { kind: 'published'; tag: string; digest: string }
  | { kind: 'failed'; message: string };

/**
 * Asks for the tag an instance is published as (loco-common's tag rule,
 * checked as it is typed), publishes it and says how it went: the digest the
 * tag now names, or the backend's reason.
 */
export function PublishSnapshotDialog(props: PublishSnapshotDialogProps) {
  const [tag, setTag] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const problem = tag ? snapshotTagProblem(tag) : undefined;
  const publishing = outcome?.kind === 'publishing';

  const close = () => {
    if (publishing) return; // the publish goes on; its result is shown here
    setOutcome(null);
    setTag('');
    props.onClose();
  };
  const publish = async () => {
    setOutcome({ kind: 'publishing' });
    try {
      const { digest } = await props.onPublish(tag);
      setOutcome({ kind: 'published', tag, digest });
    } catch (e) {
      // The backend's own words (e.g. the registry's 401), not "Request failed with 503".
      const message =
        e instanceof ResponseError ? e.cause.message : (e as Error).message;
      setOutcome({ kind: 'failed', message });
    }
  };

  return (
    <Dialog open={props.open} onClose={close}>
      <DialogTitle>Publish {props.name} as a snapshot</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The emulator&apos;s current disk and memory are published to the
          snapshot registry under this tag, replacing what the tag named before.
          New environments created from the tag start exactly here. The emulator
          pauses for a moment and then goes on.
        </DialogContentText>
        <TextField
          fullWidth
          margin="dense"
          label="Snapshot tag"
          placeholder="games"
          value={tag}
          disabled={publishing}
          onChange={e => {
            setTag(e.target.value);
            if (outcome?.kind !== 'publishing') setOutcome(null);
          }}
          error={Boolean(problem)}
          helperText={problem ?? 'Letters, digits, . _ and -; up to 64'}
          inputProps={{ 'data-testid': 'loco-publish-tag' }}
        />
        {outcome?.kind === 'publishing' && (
          <DialogContentText role="status">Publishing {tag}…</DialogContentText>
        )}
        {outcome?.kind === 'published' && (
          <DialogContentText role="status">
            Published as {outcome.tag} ({outcome.digest})
          </DialogContentText>
        )}
        {outcome?.kind === 'failed' && (
          <DialogContentText role="alert" color="error">
            Not published: {outcome.message}
          </DialogContentText>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={publishing}>
          {outcome?.kind === 'published' ? 'Done' : 'Cancel'}
        </Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!tag || Boolean(problem) || publishing}
          onClick={() => void publish()}
        >
          Publish
        </Button>
      </DialogActions>
    </Dialog>
  );
}
