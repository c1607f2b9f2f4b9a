/** `content` is 1..10,000 characters (the `Message` schema of apps/api/openapi.json). */
export const MESSAGE_CONTENT_MIN_LENGTH = 1;
export const MESSAGE_CONTENT_MAX_LENGTH = 10_000;

/** `GET /conversations/:id/messages?limit=`: default and upper bound. */
export const MESSAGES_PAGE_DEFAULT = 50;
export const MESSAGES_PAGE_MAX = 200;
