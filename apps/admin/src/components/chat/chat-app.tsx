'use client';

import { useState } from 'react';
import { type ChatSession, ChatLogin } from './chat-login';
import { ChatRoom } from './chat-room';

/** A small messaging client on the public api: its own sign-in, kept in memory only. */
export function ChatApp() {
  const [session, setSession] = useState<ChatSession | null>(null);
  return session ? <ChatRoom session={session} onSignOut={() => setSession(null)} /> : <ChatLogin onSignedIn={setSession} />;
}
