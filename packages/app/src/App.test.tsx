import { render, waitFor } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('renders the sign-in page first', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test', baseUrl: 'http://localhost:7007' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };
    const rendered = render(App.createRoot());
    await waitFor(() => expect(rendered.getByText(/guest/i)).toBeInTheDocument());
  });
});
