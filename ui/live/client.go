package live

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loupe-dev/loupe/api/observer"
)

// client is one browser. serve's goroutine reads its messages; it owns a
// writer goroutine (the connection's only writer of data) and at most one
// stream goroutine (the current subscription).
type client struct {
	h    *Handler
	conn *websocket.Conn

	records  chan *observer.GetFlowsResponse
	controls chan []byte
	// Counted by the stream goroutine, reported by the writer.
	rateLimited, overflowed atomic.Uint64
}

func newClient(h *Handler, conn *websocket.Conn) *client {
	return &client{
		h: h, conn: conn,
		records:  make(chan *observer.GetFlowsResponse, h.cfg.QueueSize),
		controls: make(chan []byte, 8),
	}
}

func (c *client) serve(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		c.write(ctx)
	}()
	// Closing the connection unblocks ReadMessage when the server stops.
	stopRead := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stopRead()

	var stream subscription
	defer func() {
		cancel()
		stream.stop()
		wg.Wait()
		c.conn.Close()
	}()
	c.conn.SetReadLimit(c.h.cfg.MaxMessageBytes)
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.h.stats.Malformed.Add(1)
				c.close(websocket.CloseMessageTooBig, "message too big")
			}
			return
		}
		if kind != websocket.TextMessage {
			c.h.stats.Malformed.Add(1)
			c.close(websocket.CloseInvalidFramePayloadData, "want JSON text messages")
			return
		}
		req, err := parseRequest(data, c.h.cfg.MaxBackfill)
		if err != nil {
			c.h.stats.Malformed.Add(1)
			c.close(websocket.CloseInvalidFramePayloadData, err.Error())
			return
		}
		stream.stop()
		c.drop()
		if req.Type == "unsubscribe" {
			continue
		}
		allow, deny, err := c.h.parse(req.Filter)
		if err != nil {
			c.send(ctx, control{T: "error", Error: err.Error()})
			continue
		}
		c.send(ctx, control{T: "subscribed", Filter: req.Filter})
		stream.start(ctx, func(ctx context.Context) {
			c.stream(ctx, &observer.GetFlowsRequest{Follow: true, Number: req.Backfill, Allow: allow, Deny: deny})
		})
	}
}

// close sends a close frame with code and reason (reasons are capped at
// 123 bytes by the protocol), then reads and discards what the browser
// still sends, for a second at most, so that the connection ends with the
// browser's close and not with a reset that could lose the close frame.
func (c *client) close(code int, reason string) {
	if len(reason) > 120 {
		reason = reason[:120]
	}
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	raw := c.conn.NetConn()
	_ = raw.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, io.LimitReader(raw, 1<<20))
}

func (c *client) send(ctx context.Context, m control) {
	select {
	case c.controls <- encodeControl(m):
	case <-ctx.Done():
	}
}

// stream follows the relay for one subscription until ctx ends.
func (c *client) stream(ctx context.Context, req *observer.GetFlowsRequest) {
	s, err := c.h.obs.GetFlows(ctx, req)
	if err != nil {
		c.send(ctx, control{T: "error", Error: "relay: " + err.Error()})
		return
	}
	limit := newTokenBucket(c.h.cfg.Rate, c.h.cfg.Burst)
	for {
		r, err := s.Recv()
		if err != nil {
			if ctx.Err() == nil {
				c.send(ctx, control{T: "error", Error: "relay stream ended: " + err.Error()})
			}
			return
		}
		if r.GetFlow() != nil && !limit.allow(time.Now()) {
			c.rateLimited.Add(1)
			c.h.stats.RateLimited.Add(1)
			continue
		}
		select {
		case c.records <- r:
		default:
			c.overflowed.Add(1)
			c.h.stats.QueueOverflows.Add(1)
		}
	}
}

// write sends controls at once and records in batches, with what was
// dropped since the last batch as lost-event records.
func (c *client) write(ctx context.Context) {
	tick := time.NewTicker(c.h.cfg.BatchInterval)
	defer tick.Stop()
	var enc batchEncoder
	var reportedRate, reportedQueue uint64
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-c.controls:
			if c.writeMessage(m) != nil {
				return
			}
		case <-tick.C:
			enc.reset()
			c.encodeQueued(&enc)
			if n := c.rateLimited.Load(); n > reportedRate {
				enc.addLost("UI_RATE_LIMIT", n-reportedRate)
				reportedRate = n
			}
			if n := c.overflowed.Load(); n > reportedQueue {
				enc.addLost("UI_QUEUE", n-reportedQueue)
				reportedQueue = n
			}
			if enc.n > 0 && c.writeMessage(enc.bytes()) != nil {
				return
			}
		}
	}
}

// encodeQueued takes what is queued now; the reader may drain the queue at
// the same time (a new subscription), so it never blocks.
func (c *client) encodeQueued(enc *batchEncoder) {
	for n := len(c.records); n > 0; n-- {
		select {
		case r := <-c.records:
			if err := enc.add(r); err != nil {
				c.h.log.Warn("encode flow", "error", err)
			}
		default:
			return
		}
	}
}

// drop empties the queue of a subscription that ended.
func (c *client) drop() {
	for {
		select {
		case <-c.records:
		default:
			return
		}
	}
}

func (c *client) writeMessage(b []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

// subscription is the goroutine of the current stream.
type subscription struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *subscription) start(parent context.Context, run func(context.Context)) {
	ctx, cancel := context.WithCancel(parent)
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		run(ctx)
	}()
}

// stop ends the stream and waits for it; records it queued stay queued.
func (s *subscription) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}
