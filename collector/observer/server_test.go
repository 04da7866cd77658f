package observer

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/collector"
	"github.com/loupe-dev/loupe/collector/ring"
)

type source struct{ r *ring.Ring }

func (s source) Ring() *ring.Ring       { return s.r }
func (s source) Stats() collector.Stats { return collector.Stats{Seen: 10, KernelLost: 3} }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// serve fills a ring with flows 1..n (one second apart; odd ids are UDP, even
// TCP) and a kernel lost-events record after flow 5, and serves it over a
// real unix socket.
func serve(t *testing.T, capacity, n int) (observer.ObserverClient, *ring.Ring) {
	t.Helper()
	r := ring.New(capacity)
	for i := 1; i <= n; i++ {
		f := &flow.Flow{Id: uint64(i), Time: timestamppb.New(t0.Add(time.Duration(i) * time.Second))}
		if i%2 == 1 {
			f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{}}}
		} else {
			f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{}}}
		}
		r.Write(ring.Entry{TimeNs: f.Time.AsTime().UnixNano(), Flow: f})
		if i == 5 {
			r.Write(ring.Entry{TimeNs: f.Time.AsTime().UnixNano(), Lost: &flow.LostEvent{Source: flow.LostEventSource_KERNEL_RING_BUFFER, NumEventsLost: 7}})
		}
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	observer.RegisterObserverServer(srv, NewServer(source{r}, "node", "v", "medium"))
	go srv.Serve(l)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	return observer.NewObserverClient(conn), r
}

// collect returns the ids of flows (and -N for N lost events) of a stream.
func collect(t *testing.T, c observer.ObserverClient, req *observer.GetFlowsRequest) []int64 {
	t.Helper()
	stream, err := c.GetFlows(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		if f := r.GetFlow(); f != nil {
			ids = append(ids, int64(f.GetId()))
		} else {
			ids = append(ids, -int64(r.GetLostEvents().GetNumEventsLost()))
		}
	}
}

func ts(sec int) *timestamppb.Timestamp {
	return timestamppb.New(t0.Add(time.Duration(sec) * time.Second))
}

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGetFlows(t *testing.T) {
	c, _ := serve(t, 64, 10)
	udp := []*flow.FlowFilter{{Protocol: []string{"udp"}}}
	cases := []struct {
		name string
		req  *observer.GetFlowsRequest
		want []int64
	}{
		{"all", &observer.GetFlowsRequest{}, []int64{1, 2, 3, 4, 5, -7, 6, 7, 8, 9, 10}},
		{"last 3", &observer.GetFlowsRequest{Number: 3}, []int64{8, 9, 10}},
		{"first 2", &observer.GetFlowsRequest{Number: 2, First: true}, []int64{1, 2}},
		{"last 3 udp", &observer.GetFlowsRequest{Number: 3, Allow: udp}, []int64{5, -7, 7, 9}},
		{"deny udp", &observer.GetFlowsRequest{Deny: udp, Since: ts(6)}, []int64{6, 8, 10}},
		{"since until", &observer.GetFlowsRequest{Since: ts(3), Until: ts(6)}, []int64{3, 4, 5, -7, 6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, c, tc.req)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestGetFlowsRefusesBadFilters(t *testing.T) {
	c, _ := serve(t, 8, 1)
	stream, err := c.GetFlows(context.Background(), &observer.GetFlowsRequest{Allow: []*flow.FlowFilter{{SourceIp: []string{"10.0.0.0/33"}}}})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad CIDR: %v, want InvalidArgument", err)
	}
}

func TestFollowSeesNewFlowsAndOvertakenReadersLearnLoss(t *testing.T) {
	c, r := serve(t, 4, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.GetFlows(ctx, &observer.GetFlowsRequest{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	r.Write(ring.Entry{TimeNs: 1, Flow: &flow.Flow{Id: 42}})
	resp, err := stream.Recv()
	if err != nil || resp.GetFlow().GetId() != 42 {
		t.Fatalf("follow got %v, %v; want flow 42", resp, err)
	}
	if st, err := c.ServerStatus(ctx, &observer.ServerStatusRequest{}); err != nil || st.GetNumLostEvents() != 3 || st.GetMaxFlows() != 4 {
		t.Fatalf("status = %v, %v", st, err)
	}
}
