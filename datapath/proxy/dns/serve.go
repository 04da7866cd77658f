package dnsproxy

import (
	"bufio"
	"context"
	"errors"
	"net"
	"time"

	"github.com/loupe-dev/loupe/datapath/proxy"
)

// ServePacket serves one query over UDP: the reply (if any) goes back
// through reply.
func (h *Handler) ServePacket(ctx context.Context, pkt []byte, m *proxy.Conn, reply func([]byte) error) {
	exchange := func(ctx context.Context, q []byte) ([]byte, error) { return h.exchangeUDP(ctx, m, q) }
	out, _ := h.handle(ctx, pkt, m, exchange)
	if out == nil {
		return
	}
	if err := reply(out); err != nil {
		h.log.Debug("dns reply", "client", m.Src, "error", err)
	}
}

// ServeConn serves the queries of one TCP connection, one after the
// other, until the client closes it, stays idle for IdleTimeout, sends
// something that cannot be framed, or ctx ends; it closes c.
func (h *Handler) ServeConn(ctx context.Context, c net.Conn, m *proxy.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	up := &tcpUpstream{h: h, m: m}
	defer up.close()
	br := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
		msg, err := readFrame(br)
		if err != nil {
			h.endOfStream(ctx, m, err)
			return
		}
		out, ok := h.handle(ctx, msg, m, up.exchange)
		if out != nil {
			c.SetWriteDeadline(time.Now().Add(h.cfg.IdleTimeout))
			if err := writeFrame(c, out); err != nil {
				h.log.Debug("dns reply", "client", m.Src, "error", err)
				return
			}
		}
		if !ok {
			return
		}
	}
}

// endOfStream reports a connection that ended by the client's fault: a
// message cut short (closed or stalled inside it) or empty. A close or a
// timeout between messages, and the proxy stopping, are normal ends.
func (h *Handler) endOfStream(ctx context.Context, m *proxy.Conn, err error) {
	if ctx.Err() != nil || !(errors.Is(err, errTruncated) || errors.Is(err, errEmptyFrame)) {
		return
	}
	h.stats.malformed.Add(1)
	h.log.Debug("dns stream", "client", m.Src, "error", err)
	h.emit(errorFlow(m, time.Now(), nil, -1))
}
