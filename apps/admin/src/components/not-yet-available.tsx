import { BULL_BOARD_PATH } from '../lib/endpoints';

/** An honest placeholder for a console page that a later release fills in. */
export function NotYetAvailable({ title, purpose }: { title: string; purpose: string }) {
  return (
    <>
      <h1>{title}</h1>
      <section className="panel">
        <p>{purpose}</p>
        <p className="muted">
          This page is not available in this version of the console yet. Job-level detail is in{' '}
          <a href={BULL_BOARD_PATH} target="_blank" rel="noopener noreferrer">
            Bull Board<span className="visually-hidden"> (opens in a new tab)</span>
          </a>
          .
        </p>
      </section>
    </>
  );
}
