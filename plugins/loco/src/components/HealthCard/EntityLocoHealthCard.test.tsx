import { screen } from '@testing-library/react';
import {
  environment,
  fakeLocoApi,
  renderWithLoco,
} from '../../__testUtils__/fixtures';
import { EntityLocoHealthCard } from './EntityLocoHealthCard';

jest.setTimeout(30_000);

describe('EntityLocoHealthCard', () => {
  it('shows "N/M healthy" and every instance with its state and reason', async () => {
    await renderWithLoco(<EntityLocoHealthCard />, fakeLocoApi(environment(3)));
    expect(await screen.findByTestId('loco-health-chip')).toHaveTextContent(
      '2/3 healthy',
    );
    expect(screen.getByTestId('loco-health-row-1')).toHaveTextContent(
      /loco-demo-1.*emulator exited \(signal SIGKILL\).*unhealthy/,
    );
    expect(await screen.findByTestId('loco-health-badge')).toBeInTheDocument();
  });

  it('says the health is unknown, and why, when the backend fails', async () => {
    await renderWithLoco(
      <EntityLocoHealthCard />,
      fakeLocoApi(new Error('backend unreachable')),
    );
    expect(
      await screen.findByText(/Health of loco-demo is unknown/),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('loco-health-chip')).not.toBeInTheDocument();
  });
});
