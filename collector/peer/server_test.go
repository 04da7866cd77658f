package peer

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/testing/protocmp"

	peerpb "github.com/loupe-dev/loupe/api/peer"
)

func TestDiff(t *testing.T) {
	a := Entry{Name: "a", Address: "1"}
	b := Entry{Name: "b", Address: "2"}
	b2 := Entry{Name: "b", Address: "3"}
	c := Entry{Name: "c", Address: "4", TLSServerName: "c"}
	got := Diff(map[string]Entry{"a": a, "b": b}, map[string]Entry{"b": b2, "c": c})
	want := []*peerpb.ChangeNotification{
		{Name: "a", Address: "1", Type: peerpb.ChangeNotificationType_PEER_DELETED},
		{Name: "b", Address: "3", Type: peerpb.ChangeNotificationType_PEER_UPDATED},
		{Name: "c", Address: "4", Type: peerpb.ChangeNotificationType_PEER_ADDED, TlsServerName: "c"},
	}
	if diff := cmp.Diff(got, want, protocmp.Transform()); diff != "" {
		t.Fatalf("Diff (-got +want):\n%s", diff)
	}
}

// TestNotifyStreamsTheRegistry: a client sees every node present, then the
// registry's changes, over a real socket.
func TestNotifyStreamsTheRegistry(t *testing.T) {
	dir := t.TempDir()
	self := Entry{Name: "self", Address: "127.0.0.1:4244"}
	if err := Register(dir, Entry{Name: "other", Address: "127.0.0.1:4344"}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	peerpb.RegisterPeerServer(srv, NewServer(dir, self, 10*time.Millisecond))
	go srv.Serve(l)
	defer srv.Stop()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := peerpb.NewPeerClient(conn).Notify(ctx, &peerpb.NotifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	next := func() string {
		t.Helper()
		n, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return n.GetType().String() + " " + n.GetName()
	}
	for _, want := range []string{"PEER_ADDED other", "PEER_ADDED self"} {
		if got := next(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if err := Register(dir, Entry{Name: "late", Address: "127.0.0.1:4444"}); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "PEER_ADDED late" {
		t.Fatalf("got %q, want PEER_ADDED late", got)
	}
	if err := Deregister(dir, "other"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "PEER_DELETED other" {
		t.Fatalf("got %q, want PEER_DELETED other", got)
	}
}
