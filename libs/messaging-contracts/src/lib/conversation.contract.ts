import type { Message } from './message.contract';

export const CONVERSATION_TYPES = Object.freeze(['direct', 'group'] as const);
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

/** `POST /conversations`: the caller is always a participant. */
export interface CreateConversationRequest {
  type: ConversationType;
  participantIds: string[];
  title?: string;
}

export interface ConversationParticipant {
  userId: string;
}

/** `POST /conversations` -> 201, or 200 with the existing direct conversation between the same two users. */
export interface Conversation {
  id: string;
  type: ConversationType;
  title: string | null;
  participants: ConversationParticipant[];
}

/** `GET /conversations` -> 200 ConversationSummary[]. */
export interface ConversationSummary {
  id: string;
  type: ConversationType;
  title: string | null;
  lastMessage: Message | null;
  unreadCount: number;
}

/** `POST /conversations/:id/participants` -> 201; 409 if already in. */
export interface AddParticipantRequest {
  userId: string;
}
