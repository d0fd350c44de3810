import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  IconButton,
  ListItemText,
  Menu,
  MenuItem,
  TextField,
  Tooltip,
} from '@material-ui/core';
import MoreVertIcon from '@material-ui/icons/MoreVert';
import type { LocoInstanceAction } from '../../api/LocoApi';
import { PublishSnapshotDialog } from './PublishSnapshotDialog';

export const ACTION_TEXT: Record<
  LocoInstanceAction,
  { label: string; confirm: string }
> = {
  restart: {
    label: 'Restart emulator',
    confirm:
      'The emulator is stopped and started again. What is not saved in the guest is lost.',
  },
  reset: {
    label: 'Reset to environment snapshot',
    confirm:
      "The guest goes back to the environment's snapshot (its first boot, or the snapshot tag's state). Everything since then is lost.",
  },
  restore: {
    label: 'Restore saved state',
    confirm:
      'The guest goes back to the state last saved with "Save state". Everything since then is lost.',
  },
  save: {
    label: 'Save state',
    confirm:
      'The current guest state replaces the saved state. Later starts and "Restore saved state" return to it.',
  },
};

export interface TileMenuProps {
  name: string;
  /** Actions this user may run (restart/reset/restore need control, save needs manage). */
  actions: LocoInstanceAction[];
  /**
   * Ctrl-Alt-Del: null hides it (the user may not type at all); `blocked`
   * says why it cannot be sent yet (shown, not hidden, so the user learns how).
   */
  ctrlAltDel: { blocked?: string } | null;
  qualityLevel: number;
  compressionLevel: number;
  onQuality(level: number): void;
  onCompression(level: number): void;
  onCtrlAltDel(): void;
  onAction(action: LocoInstanceAction): void;
  /** Publishes the instance as a snapshot tag; absent hides "Publish snapshot…" (needs manage). */
  onPublish?(tag: string): Promise<{ digest: string }>;
}

const LEVELS = Array.from({ length: 10 }, (_, i) => i);

/** The tile's "more" menu: Ctrl-Alt-Del, picture settings and confirmed instance actions. */
export function TileMenu(props: TileMenuProps) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [confirming, setConfirming] = useState<LocoInstanceAction | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [publishOpen, setPublishOpen] = useState(false);
  const close = () => setAnchor(null);

  return (
    <>
      <IconButton
        size="small"
        aria-label={`More for ${props.name}`}
        onClick={e => setAnchor(e.currentTarget)}
      >
        <MoreVertIcon fontSize="small" />
      </IconButton>
      <Menu
        anchorEl={anchor}
        open={Boolean(anchor)}
        onClose={close}
        keepMounted={false}
      >
        {props.ctrlAltDel && (
          // A disabled item gets no pointer events: the tooltip sits on a wrapper.
          <Tooltip title={props.ctrlAltDel.blocked ?? ''}>
            <div>
              <MenuItem
                disabled={Boolean(props.ctrlAltDel.blocked)}
                onClick={() => {
                  close();
                  props.onCtrlAltDel();
                }}
              >
                <ListItemText
                  primary="Send Ctrl-Alt-Del"
                  secondary={props.ctrlAltDel.blocked}
                />
              </MenuItem>
            </div>
          </Tooltip>
        )}
        <MenuItem
          onClick={() => {
            close();
            setSettingsOpen(true);
          }}
        >
          Picture quality…
        </MenuItem>
        {props.actions.map(action => (
          <MenuItem
            key={action}
            onClick={() => {
              close();
              setConfirming(action);
            }}
          >
            {ACTION_TEXT[action].label}…
          </MenuItem>
        ))}
        {props.onPublish && (
          <MenuItem
            onClick={() => {
              close();
              setPublishOpen(true);
            }}
          >
            Publish snapshot…
          </MenuItem>
        )}
      </Menu>

      {props.onPublish && (
        <PublishSnapshotDialog
          name={props.name}
          open={publishOpen}
          onClose={() => setPublishOpen(false)}
          onPublish={props.onPublish}
        />
      )}

      <Dialog open={confirming !== null} onClose={() => setConfirming(null)}>
        {confirming && (
          <>
            <DialogTitle>
              {ACTION_TEXT[confirming].label}: {props.name}?
            </DialogTitle>
            <DialogContent>
              <DialogContentText>
                {ACTION_TEXT[confirming].confirm}
              </DialogContentText>
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setConfirming(null)}>Cancel</Button>
              <Button
                color="secondary"
                variant="contained"
                onClick={() => {
                  props.onAction(confirming);
                  setConfirming(null);
                }}
              >
                {ACTION_TEXT[confirming].label}
              </Button>
            </DialogActions>
          </>
        )}
      </Dialog>

      <Dialog open={settingsOpen} onClose={() => setSettingsOpen(false)}>
        <DialogTitle>Picture of {props.name}</DialogTitle>
        <DialogContent>
          <DialogContentText>
            Lower quality and higher compression use less bandwidth. Quality is
            the JPEG quality QEMU uses for photo-like and fast-changing areas (a
            game&apos;s scenery); text and flat colours are always sent without
            loss and look the same at every level. Changes apply at once, to
            every screen in this browser, and are remembered here.
          </DialogContentText>
          <TextField
            select
            fullWidth
            margin="dense"
            label="Quality (0 = smallest, 9 = best)"
            value={props.qualityLevel}
            onChange={e => props.onQuality(Number(e.target.value))}
            SelectProps={{ native: true }}
            inputProps={{ 'data-testid': 'loco-quality' }}
          >
            {LEVELS.map(l => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </TextField>
          <TextField
            select
            fullWidth
            margin="dense"
            label="Compression (0 = none, 9 = most)"
            value={props.compressionLevel}
            onChange={e => props.onCompression(Number(e.target.value))}
            SelectProps={{ native: true }}
            inputProps={{ 'data-testid': 'loco-compression' }}
          >
            {LEVELS.map(l => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </TextField>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setSettingsOpen(false)}>Done</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
