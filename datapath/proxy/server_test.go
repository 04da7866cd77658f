package proxy

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/internal/testutil"
)

type fixedResolver struct{}

func (fixedResolver) Resolve(src, dst netip.AddrPort, proto uint8) *Conn {
	return &Conn{Src: src, Dst: dst, Proto: proto, SrcIdentity: 256, DstIdentity: 257, Policy: AllowAll()}
}

// echoMeta answers every line with the connection's addresses as the
// handler saw them.
type echoMeta struct{}

func (echoMeta) ServeConn(ctx context.Context, c net.Conn, m *Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		io.WriteString(c, m.Src.String()+" "+m.Dst.String()+"\n")
	}
}

// TestServerServesAndStops: a listener per family, the handler sees the
// client and the address it connected to, and Stop ends connections that
// are still open.
func TestServerServesAndStops(t *testing.T) {
	testutil.RequireRoot(t) // IP_TRANSPARENT needs CAP_NET_ADMIN
	s := New(Config{}, Handlers{HTTP: echoMeta{}}, fixedResolver{}, slog.New(slog.DiscardHandler))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	var open []net.Conn
	for _, network := range []string{"tcp4", "tcp6"} {
		addr := s.Addr(policy.L7HTTP, network)
		c, err := net.DialTimeout(network, addr.String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		io.WriteString(c, "hello\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want := c.LocalAddr().String() + " " + addr.String() + "\n"
		if line != want {
			t.Errorf("%s: handler saw %q, want %q", network, line, want)
		}
	}
	if s.Addr(policy.L7Kafka, "tcp4") != nil {
		t.Error("a listener for a parser without a handler")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	for _, c := range open {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("connection still open after Stop")
		}
		c.Close()
	}
	if st := s.Stats(); st.Accepted != 2 {
		t.Errorf("stats %+v, want 2 accepted", st)
	}
}
