/** Channels a notification can fall back between, in the order a user prefers them. */
export const FALLBACK_CHANNELS = Object.freeze(['push', 'email', 'sms'] as const);
export type FallbackChannel = (typeof FALLBACK_CHANNELS)[number];

/** What a provider reported after a notification was sent (stored beside its `status`). */
export const PROVIDER_STATUSES = Object.freeze(['delivered', 'bounced', 'complained', 'undelivered'] as const);
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];
