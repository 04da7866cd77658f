package kafkaproxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
)

// pending is a request waiting for its answer to be written back, in
// order: the broker's response (up set) or a local one.
type pending struct {
	req      *request
	topic    string
	policies []string
	start    time.Time
	up       net.Conn // forwarded: read the response from here
	none     bool     // forwarded, and the broker sends no response (acks=0)
	local    []byte   // denied: this frame is the answer
}

// readLoop reads, decides and forwards or answers the client's requests
// until the client closes, an error ends the connection, or ctx ends. It
// reports whether the relay should first write back what is queued.
func (s *session) readLoop(ctx context.Context) (drain bool) {
	for {
		frame, err := readFrame(s.client, s.h.cfg.MaxFrame, minFrame)
		if err != nil {
			if !quiet(ctx, err) {
				s.fail(nil, fmt.Errorf("read request: %w", err))
			}
			return false
		}
		now := time.Now()
		req, err := parseRequest(frame)
		var d decision
		switch {
		case errors.Is(err, errUnknown):
			d = s.decideOpaque(req)
		case err != nil:
			s.fail(req, err)
			return false
		default:
			d = s.decide(req)
		}
		if !d.allowed {
			s.emit(s.requestFlow(now, flow.Verdict_DROPPED, req, d.topic, d.code, d.policies))
			if d.close || acksZero(req) {
				return true
			}
			body, ok := denyResponse(req, d.code)
			if !ok {
				return true
			}
			if !s.enqueue(ctx, &pending{req: req, local: appendFrame(nil, body)}) {
				return false
			}
			continue
		}
		up, err := s.upstreamConn(ctx)
		if err != nil {
			if !quiet(ctx, err) {
				s.fail(req, err)
			}
			return false
		}
		s.emit(s.requestFlow(now, flow.Verdict_FORWARDED, req, d.topic, 0, d.policies))
		p := &pending{req: req, topic: d.topic, policies: d.policies, start: now, up: up, none: acksZero(req)}
		if !s.enqueue(ctx, p) {
			return false
		}
		var size [4]byte
		binary.BigEndian.PutUint32(size[:], uint32(len(frame)))
		bufs := net.Buffers{size[:], frame}
		if _, err := bufs.WriteTo(up); err != nil {
			if !quiet(ctx, err) {
				s.fail(req, fmt.Errorf("forward request: %w", err))
			}
			return false
		}
	}
}

func (s *session) enqueue(ctx context.Context, p *pending) bool {
	select {
	case s.queue <- p:
		return true
	case <-ctx.Done():
		return false
	}
}

// relay writes the answers back in request order until the queue is
// closed or drained, or an error ends the connection.
func (s *session) relay(ctx context.Context) {
	for {
		var p *pending
		select {
		case <-ctx.Done():
			return
		case next, ok := <-s.queue:
			if !ok {
				return
			}
			p = next
		}
		if err := s.answer(p); err != nil {
			if !quiet(ctx, err) {
				s.fail(p.req, err)
			}
			return
		}
	}
}

// answer writes one request's answer to the client.
func (s *session) answer(p *pending) error {
	if p.local != nil {
		if _, err := s.client.Write(p.local); err != nil {
			return fmt.Errorf("write answer: %w", err)
		}
		return nil
	}
	if p.none {
		return nil
	}
	frame, err := readFrame(p.up, s.h.cfg.MaxFrame, 4)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	now := time.Now()
	if c := int32(binary.BigEndian.Uint32(frame)); c != p.req.correlation {
		return fmt.Errorf("%w: correlation id %d, want %d", errCorrelated, c, p.req.correlation)
	}
	code, frame := s.inspectResponse(p.req, frame)
	s.emit(s.responseFlow(now, p, code))
	if _, err := s.client.Write(appendFrame(nil, frame)); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}
