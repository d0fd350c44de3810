import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  environment,
  fakeLocoApi,
  fakeRfbs,
  renderWithLoco,
  seatList,
  tile,
} from '../../__testUtils__/fixtures';
import { LocoTab } from './LocoTab';

jest.setTimeout(30_000);

const ME = 'user:default/test'; // the test app's signed-in user
const ADA = 'user:default/ada'; // in the catalog, with a name and picture
const BOB = 'user:default/bob'; // not in the catalog

describe('Seats in the Loco tab', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('offers Play on free tiles, claims one and shows "Leave seat" and the jump to it', async () => {
    const api = fakeLocoApi(environment(2, {}));
    await renderWithLoco(<LocoTab />, api);
    const play = await within(tile(1)).findByRole('button', {
      name: 'Play loco-demo-1',
    });
    fireEvent.click(play);
    await waitFor(() =>
      expect(api.claimSeat).toHaveBeenCalledWith('loco-demo', 1),
    );
    // The claim's answer is shown at once, before the next poll.
    await within(tile(1)).findByRole('button', {
      name: 'Leave seat on loco-demo-1',
    });
    expect(
      within(screen.getByTestId('loco-seat-1')).getByRole('button', {
        name: 'Jump to my instance',
      }),
    ).toBeInTheDocument();
    fireEvent.click(
      within(tile(1)).getByRole('button', {
        name: 'Leave seat on loco-demo-1',
      }),
    );
    await waitFor(() =>
      expect(api.leaveSeat).toHaveBeenCalledWith('loco-demo', 1),
    );
  });

  it('shows holders by their catalog name, or their entity ref, and picks up changes by polling', async () => {
    const api = fakeLocoApi(environment(2, {}));
    api.listSeats.mockResolvedValue(
      seatList([
        { index: 0, holder: ADA },
        { index: 1, holder: BOB },
      ]),
    );
    await renderWithLoco(<LocoTab />, api);
    await within(tile(0)).findByText('Ada Lovelace');
    await within(tile(1)).findByText(BOB);
    // Taken tiles offer no Play, and nobody else's seat can be left.
    expect(within(tile(0)).queryByRole('button', { name: /Play/ })).toBeNull();
    expect(within(tile(0)).queryByText('Leave seat')).toBeNull();
    api.listSeats.mockResolvedValue(seatList([{ index: 0, holder: ADA }]));
    await within(tile(1)).findByRole('button', { name: 'Play loco-demo-1' });
  });

  it('lets a manager take over or free a seat from the seat list', async () => {
    const api = fakeLocoApi(environment(2, {}));
    api.listSeats.mockResolvedValue(seatList([{ index: 0, holder: ADA }]));
    await renderWithLoco(<LocoTab />, api);
    const entry = await screen.findByTestId('loco-seat-0');
    fireEvent.click(within(entry).getByRole('button', { name: 'Take over' }));
    await waitFor(() =>
      expect(api.takeOverSeat).toHaveBeenCalledWith('loco-demo', 0),
    );
    // The manager holds it now; the list polls the backend's answer again.
    await within(screen.getByTestId('loco-seat-0')).findByRole('button', {
      name: 'Jump to my instance',
    });
    api.listSeats.mockResolvedValue(seatList([{ index: 0, holder: ADA }]));
    fireEvent.click(
      await within(await screen.findByTestId('loco-seat-0')).findByRole(
        'button',
        { name: 'Free seat' },
      ),
    );
    await waitFor(() =>
      expect(api.leaveSeat).toHaveBeenCalledWith('loco-demo', 0),
    );
  });

  it('offers neither Play nor a manager’s buttons to a watcher', async () => {
    const api = fakeLocoApi(environment(2, {}));
    api.listSeats.mockResolvedValue(seatList([{ index: 0, holder: ADA }]));
    await renderWithLoco(<LocoTab />, api, { control: false, manage: false });
    const entry = await screen.findByTestId('loco-seat-0');
    await within(entry).findByText('Ada Lovelace');
    expect(within(entry).queryByRole('button')).toBeNull();
    expect(screen.queryByRole('button', { name: /^Play/ })).toBeNull();
    expect(ME).toBe('user:default/test');
  });
});
