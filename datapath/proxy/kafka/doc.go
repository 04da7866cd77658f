// Package kafkaproxy is the L7 proxy's Kafka handler: it reads the
// client's requests, decides each one with the connection's policy,
// forwards the allowed ones to the broker unchanged and answers the denied
// ones itself, and emits a flow per request and per response.
//
// Decisions, and why:
//
//   - A request is decided per topic it names (Policy.Kafka with the API
//     key, the topic and the client id); one denied topic denies the whole
//     request. Splitting a request and merging the broker's answer with
//     local errors would mean rewriting frames; a client that mixes allowed
//     and denied topics in one call sees every topic of it fail with
//     TOPIC_AUTHORIZATION_FAILED (29).
//   - A denied request is answered with the API's own response, every topic
//     and partition carrying TOPIC_AUTHORIZATION_FAILED, or, for a call
//     without topics, the API's top-level error (GROUP_, TRANSACTIONAL_ID_
//     or CLUSTER_AUTHORIZATION_FAILED), with the request's correlation id and
//     version; the broker is not contacted and the connection stays open.
//     Responses leave in request order, local ones included. A denied
//     Produce with acks=0 has no response: the connection is closed after
//     the earlier responses, as a broker does, so the client notices.
//   - Topics are decided by name. Versions that name topics only by id
//     (Produce and Fetch 13+, OffsetCommit and OffsetFetch 10+) are capped in
//     the broker's ApiVersions answer so clients use names; a request that
//     still names a topic only by id, a call the proxy does not know
//     (an unknown API key or version) or one whose topics it does not read
//     passes only when the policy allows every request on the connection,
//     and otherwise is dropped and the connection closed.
//   - A call without topics is decided with topic "". That includes the
//     incremental Fetch of a fetch session, which names only what changed:
//     the session holds only partitions that an earlier, decided Fetch
//     named (a denied one never reaches the broker), so nothing passes that
//     was not allowed. Metadata for every topic (a nil topic list) is a
//     call without topics too, as in Cilium.
//   - One REQUEST flow per request, with the first topic it names (the
//     first denied one when denied), as Cilium; one RESPONSE flow per
//     response with the first non-zero error code in it and the latency.
//   - Frames are bounded (Config.MaxFrame); a frame that is too big, too
//     small or cut short, a header or body that does not parse, or a
//     response whose correlation id is not the one expected is an ERROR
//     flow and the end of the connection, never of the handler.
package kafkaproxy
