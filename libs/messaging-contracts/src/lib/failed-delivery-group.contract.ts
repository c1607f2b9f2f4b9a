/**
 * `GET /deliveries/failed/groups` -> 200 FailedDeliveryGroup[]: failed deliveries by cause (their
 * reason with ids, hashes, timestamps and numbers stripped), the most recently seen first.
 */
export interface FailedDeliveryGroup {
  /** The normalised reason every delivery of the group shares. */
  reason: string;
  /** Text every reason of the group contains: `GET /deliveries/failed?reason=` with it lists them. */
  filter: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** The latest failed delivery of the group. */
  sample: { messageId: string; recipientId: string; failureReason: string };
}
