// Package merge puts the flow streams of many nodes into one time order.
//
// Each node's stream is in time order already (its ring is written in
// order), so the window emits a record as soon as every open stream has
// moved past it, as a k-way merge would. Streams do not all move, though: a
// quiet node sends nothing for a long time, and a failing one may hang. So
// the window is bounded in two ways. A record waits at most MaxDelay after
// it arrived; then it goes out, with everything older (except while a node
// asked for older records has not answered yet, up to FirstWait; and
// streams that end need no MaxDelay: a node that hangs fails its
// connection's health check and its stream ends). And the window holds
// at most MaxFlows records (plus one per stream, so that every stream can
// always show where it is); when full, it takes no more from a stream until
// it has emitted some, which slows the fast streams down (backpressure up
// to the nodes, whose rings report what they lose) instead of reordering
// them.
//
// A flow that arrives older than what was already emitted cannot be put in
// order. It is dropped, counted, and reported in the stream as a LostEvent
// with source RELAY_QUEUE. Lost-event records are never dropped: a late one
// is stamped with the time of the last emitted record.
package merge
