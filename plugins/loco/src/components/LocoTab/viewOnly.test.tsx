import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  fakeLocoApi,
  environment,
  fakeRfbs,
  renderLive,
  renderWithLoco,
  tile,
} from '../../__testUtils__/fixtures';
import { LocoTab } from './LocoTab';

jest.setTimeout(30_000);

// A file of its own: usePermission caches decisions (SWR) for the whole module registry.
describe('Loco tiles for a user without loco.instance.control', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('keeps a view-only user view-only even on the focused tile, and says so', async () => {
    await renderLive(2, { control: false, manage: false });
    fireEvent.mouseDown(screen.getByTestId('loco-screen-0'));
    await waitFor(() =>
      expect(tile(0)).toHaveAttribute('data-focused', 'true'),
    );
    expect(fakeRfbs()[0].viewOnly).toBe(true);
    expect(within(tile(0)).getByTestId('loco-status')).toHaveTextContent(
      /View only/,
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    await screen.findByText('Picture quality…');
    expect(screen.queryByText(/Restart emulator/)).not.toBeInTheDocument();
    expect(screen.queryByText(/Send Ctrl-Alt-Del/)).not.toBeInTheDocument();
  });

  it('tells a user without control that the screens are view-only', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(2)), {
      control: false,
      manage: false,
    });
    expect(
      await screen.findByTestId('loco-view-only-notice'),
    ).toHaveTextContent('loco.instance.control');
    expect(screen.getAllByTestId('loco-view-only')).toHaveLength(2);
  });
});

describe('clicking a view-only tile', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('takes the keyboard away from page buttons, so typed keys go nowhere', async () => {
    await renderLive(1, { control: false, manage: false });
    const more = screen.getByRole('button', { name: 'More for loco-demo-0' });
    more.focus();
    expect(document.activeElement).toBe(more);
    fireEvent.mouseDown(screen.getByTestId('loco-screen-0'));
    await waitFor(() =>
      expect(tile(0)).toHaveAttribute('data-focused', 'true'),
    );
    expect(document.activeElement).toBe(document.body);
  });
});
