import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@material-ui/core';
import KeyboardIcon from '@material-ui/icons/Keyboard';
import { SHORTCUTS } from './useGridShortcuts';

/**
 * The grid's keyboard shortcuts behind a button and a dialog: reachable by
 * keyboard and touch alike (a hover tooltip is neither, and covered a button).
 */
export function ShortcutsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="small"
        startIcon={<KeyboardIcon />}
        onClick={() => setOpen(true)}
        data-testid="loco-shortcuts"
      >
        Keyboard shortcuts
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        aria-labelledby="loco-shortcuts-title"
      >
        <DialogTitle id="loco-shortcuts-title">Keyboard shortcuts</DialogTitle>
        <DialogContent>
          <Table size="small" aria-label="Keyboard shortcuts">
            <TableBody>
              <TableRow>
                <TableCell>Click a screen, or its Control button</TableCell>
                <TableCell>take control: keyboard and mouse go to it</TableCell>
              </TableRow>
              {SHORTCUTS.map(([keys, what]) => (
                <TableRow key={keys}>
                  <TableCell>
                    <kbd>{keys}</kbd>
                  </TableCell>
                  <TableCell>{what}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Close</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
