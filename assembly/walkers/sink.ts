// Where walkers report what they find. The filter forwards to its stats; tests record.
import { TopicLabels, TopicStat } from "../topics";

export abstract class WalkSink {
  constructor(readonly labels: TopicLabels) {}

  /** Adds to a topic label's counter; labels come from `labels` (NO_TOPIC_LABEL: per-topic stats are off). */
  abstract addTopic(label: i32, stat: TopicStat, delta: i64): void;
  /** A non-zero error code found in a response of `apiKey`. */
  abstract errorCode(apiKey: i32, code: i16): void;
  /** A walk met data it could not follow and stopped (once per frame). */
  abstract walkFailed(): void;
}
