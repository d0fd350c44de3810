import { summarizeStates } from './summary';

describe('summarizeStates', () => {
  it('is healthy only when every instance is healthy', () => {
    expect(summarizeStates(['healthy', 'healthy']).state).toBe('healthy');
    expect(summarizeStates(['healthy', 'unhealthy']).state).toBe('degraded');
  });

  it('counts instances by state', () => {
    const summary = summarizeStates(['healthy', 'starting', 'healthy']);
    expect(summary.total).toBe(3);
    expect(summary.healthy).toBe(2);
    expect(summary.counts.starting).toBe(1);
    expect(summary.state).toBe('starting');
  });

  it('is unhealthy when nothing is healthy and something failed', () => {
    expect(summarizeStates(['unhealthy', 'starting']).state).toBe('unhealthy');
  });

  it('is stopped when empty or all stopped', () => {
    expect(summarizeStates([]).state).toBe('stopped');
    expect(summarizeStates(['stopped', 'stopped']).state).toBe('stopped');
  });
});
