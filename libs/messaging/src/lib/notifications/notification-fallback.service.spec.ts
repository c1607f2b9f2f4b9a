import { nextChannel } from './notification-fallback.service';

describe('nextChannel', () => {
  const all = { inApp: true, email: true, push: true, sms: true };

  it('is the channel after the failed one in the user’s order', () => {
    expect(nextChannel('push', { active: true, channels: all, channelOrder: ['push', 'email', 'sms'] })).toBe('email');
    expect(nextChannel('email', { active: true, channels: all, channelOrder: ['push', 'email', 'sms'] })).toBe('sms');
    expect(nextChannel('sms', { active: true, channels: all, channelOrder: ['push', 'email', 'sms'] })).toBeUndefined();
  });

  it('skips channels switched off, and has none without an order, off the order, in-app or for an inactive user', () => {
    expect(nextChannel('push', { active: true, channels: { ...all, email: false }, channelOrder: ['push', 'email', 'sms'] })).toBe('sms');
    expect(nextChannel('push', { active: true, channels: all, channelOrder: null })).toBeUndefined();
    expect(nextChannel('push', { active: true, channels: all, channelOrder: [] })).toBeUndefined();
    expect(nextChannel('push', { active: true, channels: all, channelOrder: ['email', 'sms'] })).toBeUndefined();
    expect(nextChannel('in_app', { active: true, channels: all, channelOrder: ['push', 'email'] })).toBeUndefined();
    expect(nextChannel('push', { active: false, channels: all, channelOrder: ['push', 'email'] })).toBeUndefined();
    // The defaults (SMS off) apply to a user who saved no channels.
    expect(nextChannel('email', { active: true, channels: null, channelOrder: ['email', 'sms'] })).toBeUndefined();
  });
});
