import { act, fireEvent, screen } from '@testing-library/react';
import { LoginForm } from '../src/components/login-form';
import { fakeResponse, type FetchMock, mockFetch, renderWithQuery } from './test-utils';

const replace = jest.fn();
jest.mock('next/navigation', () => ({
  useRouter: () => ({ replace, push: jest.fn(), refresh: jest.fn(), back: jest.fn(), forward: jest.fn(), prefetch: jest.fn() }),
  usePathname: () => '/login',
}));

function fillAndSubmit(email = 'ops@example.com', password = 'correct horse') {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('LoginForm', () => {
  let fetchMock: FetchMock;

  beforeEach(() => {
    replace.mockReset();
    fetchMock = mockFetch();
  });

  it('renders labelled fields, a submit button and an empty alert region', () => {
    renderWithQuery(<LoginForm />);
    expect(screen.getByLabelText('Email')).toHaveProperty('type', 'email');
    expect(screen.getByLabelText('Password')).toHaveProperty('type', 'password');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toBe('');
  });

  it('posts the credentials as JSON and goes to the next page on 200', async () => {
    fetchMock.mockResolvedValue(fakeResponse(200, { accessToken: 't', user: { id: 'u1', email: 'ops@example.com', displayName: 'Ops', role: 'admin' } }));
    renderWithQuery(<LoginForm nextPath="/dead-letters" />);

    fillAndSubmit();

    await act(async () => undefined);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/auth/login');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('include');
    expect(JSON.parse(String(init?.body))).toEqual({ email: 'ops@example.com', password: 'correct horse' });
    expect(replace).toHaveBeenCalledWith('/dead-letters');
  });

  it('says "Wrong email or password." on 401', async () => {
    fetchMock.mockResolvedValue(fakeResponse(401, { statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' }));
    renderWithQuery(<LoginForm />);

    fillAndSubmit();

    expect(await screen.findByText('Wrong email or password.')).toBe(screen.getByRole('alert'));
    expect(replace).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', false);
  });

  it('says the account cannot use the console on 403', async () => {
    fetchMock.mockResolvedValue(fakeResponse(403, { statusCode: 403, message: 'Forbidden', error: 'Forbidden' }));
    renderWithQuery(<LoginForm />);
    fillAndSubmit();
    expect(await screen.findByText('This account cannot use the console.')).toBe(screen.getByRole('alert'));
  });

  it('says the api is unreachable on a network failure', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    renderWithQuery(<LoginForm />);

    fillAndSubmit();

    expect(await screen.findByText('The API is unreachable. Try again in a moment.')).toBe(screen.getByRole('alert'));
    expect(replace).not.toHaveBeenCalled();
  });

  it('says the api is unreachable on a 5xx (the proxy answers 500 when the api is down)', async () => {
    fetchMock.mockResolvedValue(fakeResponse(502, 'Bad Gateway', 'text/plain'));
    renderWithQuery(<LoginForm />);
    fillAndSubmit();
    expect(await screen.findByText('The API is unreachable. Try again in a moment.')).toBeTruthy();
  });

  it('disables the button while the request is in flight', async () => {
    let answer: (response: Response) => void = () => undefined;
    fetchMock.mockReturnValue(new Promise<Response>((resolve) => (answer = resolve)));
    renderWithQuery(<LoginForm />);

    fillAndSubmit();

    const button = await screen.findByRole('button', { name: 'Signing in…' });
    expect(button).toHaveProperty('disabled', true);
    await act(async () => answer(fakeResponse(401, { statusCode: 401, message: 'no', error: 'Unauthorized' })));
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', false);
  });
});
