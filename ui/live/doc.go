// Package live streams flows to browsers over WebSocket.
//
// A client subscribes with a filter in the CLI's language; the filter is
// applied at the nodes (the Observer API's allow and deny lists), so only
// matching flows cross the relay. Each client has its own token bucket: flows
// beyond its rate are dropped and counted, and so are flows that do not fit
// its bounded queue when the browser reads slowly. Both counts reach the
// browser as lost-event records (UI_RATE_LIMIT, UI_QUEUE), in the stream
// where the flows would have been.
//
// Protocol, browser to server (one JSON text message, at most
// Config.MaxMessageBytes):
//
//	{"type":"subscribe","filter":"from:label=app=frontend verdict=DROPPED","backfill":200}
//	{"type":"unsubscribe"}
//
// Server to browser, every Config.BatchInterval at most one batch:
//
//	{"t":"items","items":[GetFlowsResponse as protojson, ...]}
//	{"t":"subscribed","filter":"..."}   {"t":"error","error":"..."}
//
// A message that is not valid JSON of that shape, or a binary message, ends
// the connection with close code 1007 (invalid payload); a frame larger than
// the limit with 1009 (message too big). Other clients are not affected.
package live
