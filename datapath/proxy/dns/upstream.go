package dnsproxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/datapath/proxy"
)

var errBusy = errors.New("too many queries in flight")

// maxMessage is the largest DNS message: TCP's 2-byte length, and UDP's
// datagram.
const maxMessage = 65535

var bufPool = sync.Pool{New: func() any { b := make([]byte, maxMessage); return &b }}

// exchangeUDP sends q to the server on a socket of its own and returns the
// first datagram that answers it (same id); others are counted and
// skipped. At most MaxInFlight run at once.
func (h *Handler) exchangeUDP(ctx context.Context, m *proxy.Conn, q []byte) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	default:
		h.stats.busy.Add(1)
		return nil, errBusy
	}
	defer func() { <-h.slots }()
	c, err := h.dial.Dial(ctx, "udp", m)
	if err != nil {
		return nil, fmt.Errorf("dial udp server: %w", err)
	}
	defer c.Close()
	stop := deadlineFrom(ctx, c)
	defer stop()
	if _, err := c.Write(q); err != nil {
		return nil, fmt.Errorf("send query: %w", err)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("read answer: %w", err)
		}
		if n >= 12 && buf[0] == q[0] && buf[1] == q[1] {
			return append([]byte(nil), buf[:n]...), nil
		}
		h.stats.mismatched.Add(1)
	}
}

// deadlineFrom makes c's operations end with ctx (its deadline or its
// cancellation).
func deadlineFrom(ctx context.Context, c net.Conn) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

// tcpUpstream is the server connection of one client connection: opened
// at the first forwarded query, reused for the next ones, one exchange at
// a time.
type tcpUpstream struct {
	h *Handler
	m *proxy.Conn
	c net.Conn
}

func (u *tcpUpstream) exchange(ctx context.Context, q []byte) ([]byte, error) {
	// A reused connection may have been closed by the server while idle:
	// one retry on a fresh one.
	for attempt := 0; ; attempt++ {
		fresh := u.c == nil
		if fresh {
			c, err := u.h.dial.Dial(ctx, "tcp", u.m)
			if err != nil {
				return nil, fmt.Errorf("dial tcp server: %w", err)
			}
			u.c = c
		}
		ans, err := u.roundTrip(ctx, q)
		if err == nil {
			return ans, nil
		}
		u.close()
		if fresh || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (u *tcpUpstream) roundTrip(ctx context.Context, q []byte) ([]byte, error) {
	stop := deadlineFrom(ctx, u.c)
	defer stop()
	if err := writeFrame(u.c, q); err != nil {
		return nil, fmt.Errorf("send query: %w", err)
	}
	ans, err := readFrame(u.c)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if len(ans) < 2 || ans[0] != q[0] || ans[1] != q[1] {
		u.h.stats.mismatched.Add(1)
		return nil, errors.New("answer with another id")
	}
	u.c.SetDeadline(time.Time{})
	return ans, nil
}

func (u *tcpUpstream) close() {
	if u.c != nil {
		u.c.Close()
		u.c = nil
	}
}

// Framing errors: the client's fault, unlike an end between messages.
var (
	errEmptyFrame = errors.New("empty dns message")
	errTruncated  = errors.New("truncated dns message")
)

// readFrame reads one length-prefixed message. An end or a timeout between
// messages is returned as it is; one inside a message is errTruncated.
func readFrame(r io.Reader) ([]byte, error) {
	var l [2]byte
	if n, err := io.ReadFull(r, l[:]); err != nil {
		if n > 0 {
			return nil, fmt.Errorf("%w: %w", errTruncated, err)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint16(l[:])
	if n == 0 {
		return nil, errEmptyFrame
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%w: %w", errTruncated, err)
	}
	return b, nil
}

// writeFrame writes one length-prefixed message in one write.
func writeFrame(w io.Writer, b []byte) error {
	if len(b) > maxMessage {
		return fmt.Errorf("message of %d bytes: over %d", len(b), maxMessage)
	}
	out := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(out, uint16(len(b)))
	copy(out[2:], b)
	_, err := w.Write(out)
	return err
}
