// Package sink writes every flow the relay receives to ClickHouse.
//
// The relay hands flows over with Offer, which never blocks: a flow goes
// into a bounded queue. A builder goroutine drains the queue into batches
// (a size bound and a time bound, whichever comes first), and a sender
// inserts them over the native protocol; while one batch is inserted the
// next one fills.
//
// Backpressure: when the queue is full, the newest flow is dropped and
// counted (DroppedQueueFull). Blocking instead would stall the relay's live
// stream for every observer, and the collectors' rings would overwrite the
// unread flows anyway: the loss would only move somewhere it is not
// counted.
//
// When ClickHouse is down the writer keeps its batch and retries with
// exponential backoff and jitter, while Offer keeps filling the queue until
// it is full. A batch that fails for a reason that retrying cannot fix (bad
// data, a missing table) is logged once and counted as failed, and its
// flows as dropped (DroppedFailed).
//
// De-duplication: after a relay restart or a reconnect, a collector sends
// again the flows since the point Since returned. Since is the newest time
// written or queued for the node, minus a slack for out-of-order arrival,
// and the sink remembers the ids of the node's flows in that slack, so
// re-offered flows are skipped and counted (Duplicates). A new Sink learns
// the point and the ids from ClickHouse the first time Since asks about a
// node. Memory stays bounded: ids fall out as the node's newest time
// advances past them.
//
// Accounting: once Stop returns,
//
//	Written + DroppedQueueFull + DroppedFailed + DroppedAtStop = Received - Duplicates
//
// exactly; before that, the difference is QueueDepth plus Pending.
//
// Retention: ClickHouse 18.16 has no TTL. There, when RetentionDays is set,
// a janitor drops the day partitions of flows and rollups that are older
// than the retention, hourly. Newer servers expire rows by the schema's
// TTL.
package sink
