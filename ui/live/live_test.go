package live_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/ui/live"
	"github.com/loupe-dev/loupe/ui/uitest"
)

// parse accepts "" and "verdict=DROPPED"; anything else is refused.
func parse(text string) (allow, deny []*flow.FlowFilter, err error) {
	switch text {
	case "":
		return nil, nil, nil
	case "verdict=DROPPED":
		return []*flow.FlowFilter{{Verdict: []flow.Verdict{flow.Verdict_DROPPED}}}, nil, nil
	}
	return nil, nil, errors.New("bad filter " + text)
}

type harness struct {
	t   *testing.T
	url string
	h   *live.Handler
}

func newHarness(t *testing.T, rate int, cfg live.Config) *harness {
	fake := &uitest.Observer{Rate: rate, Generate: func(i int) *flow.Flow {
		return uitest.Flow(time.Now(), &flow.Endpoint{Namespace: "a", Workload: "x"}, &flow.Endpoint{Namespace: "a", Workload: "y"}, uint32(1024+i%1000), 80)
	}}
	addr := uitest.Serve(t, fake)
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h := live.New(cfg, observer.NewObserverClient(conn), parse, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Stop(); srv.Close() })
	return &harness{t: t, url: "ws" + strings.TrimPrefix(srv.URL, "http"), h: h}
}

func (hs *harness) dial() *websocket.Conn {
	hs.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(hs.url, nil)
	if err != nil {
		hs.t.Fatal(err)
	}
	hs.t.Cleanup(func() { c.Close() })
	return c
}

type message struct {
	T     string            `json:"t"`
	Error string            `json:"error"`
	Items []json.RawMessage `json:"items"`
}

func read(t *testing.T, c *websocket.Conn) (message, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("server sent %q: %v", data, err)
	}
	return m, nil
}

// readItems reads until a batch of records arrives.
func readItems(t *testing.T, c *websocket.Conn) []json.RawMessage {
	t.Helper()
	for {
		m, err := read(t, c)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if m.T == "items" {
			return m.Items
		}
	}
}

func subscribe(t *testing.T, c *websocket.Conn, filter string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "filter": filter})
	if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
}

func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	for {
		if _, err := read(t, c); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			t.Fatalf("want a close frame, got %v", err)
		}
	}
}

// TestRefusesBadMessagesKeepsServing: malformed messages and oversized
// frames end that connection with the right close code; another client
// keeps receiving flows throughout.
func TestRefusesBadMessagesKeepsServing(t *testing.T) {
	hs := newHarness(t, 200, live.DefaultConfig())
	good := hs.dial()
	subscribe(t, good, "")
	readItems(t, good)

	for _, tc := range []struct {
		name string
		kind int
		data string
		code int
	}{
		{"not JSON", websocket.TextMessage, "{subscribe", websocket.CloseInvalidFramePayloadData},
		{"unknown type", websocket.TextMessage, `{"type":"drop tables"}`, websocket.CloseInvalidFramePayloadData},
		{"unknown field", websocket.TextMessage, `{"type":"subscribe","filter":"","admin":true}`, websocket.CloseInvalidFramePayloadData},
		{"two objects", websocket.TextMessage, `{"type":"unsubscribe"}{"type":"unsubscribe"}`, websocket.CloseInvalidFramePayloadData},
		{"backfill too large", websocket.TextMessage, `{"type":"subscribe","backfill":99999999}`, websocket.CloseInvalidFramePayloadData},
		{"binary", websocket.BinaryMessage, `{"type":"unsubscribe"}`, websocket.CloseInvalidFramePayloadData},
		{"not UTF-8", websocket.TextMessage, "{\"type\":\"subscribe\",\"filter\":\"\xff\"}", websocket.CloseInvalidFramePayloadData},
		{"oversized", websocket.TextMessage, `{"type":"subscribe","filter":"` + strings.Repeat("a", 64<<10) + `"}`, websocket.CloseMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := hs.dial()
			if err := bad.WriteMessage(tc.kind, []byte(tc.data)); err != nil {
				t.Fatal(err)
			}
			if code := closeCode(t, bad); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			if n := len(readItems(t, good)); n == 0 {
				t.Fatal("the other client got an empty batch")
			}
		})
	}
	if got := hs.h.Stats().Malformed.Load(); got != 8 {
		t.Fatalf("malformed connections counted %d, want 8", got)
	}
}

// TestBadFilterIsAnError: a filter that does not parse is answered with an
// error message; the connection stays and a good filter then works.
func TestBadFilterIsAnError(t *testing.T) {
	hs := newHarness(t, 100, live.DefaultConfig())
	c := hs.dial()
	subscribe(t, c, "verdict=MAYBE")
	m, err := read(t, c)
	if err != nil || m.T != "error" || !strings.Contains(m.Error, "bad filter verdict=MAYBE") {
		t.Fatalf("got %+v, %v; want an error naming the filter", m, err)
	}
	subscribe(t, c, "")
	readItems(t, c)
}

// TestRateLimitIsCountedAsLost: above the client's rate, flows are dropped
// and the browser gets UI_RATE_LIMIT lost-event records with the count.
func TestRateLimitIsCountedAsLost(t *testing.T) {
	cfg := live.DefaultConfig()
	cfg.Rate, cfg.Burst = 50, 50
	hs := newHarness(t, 1000, cfg)
	c := hs.dial()
	subscribe(t, c, "")
	var flows int
	var lost uint64
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		for _, raw := range readItems(t, c) {
			var it struct {
				Flow       json.RawMessage `json:"flow"`
				LostEvents *struct {
					Source string `json:"source"`
					N      uint64 `json:"numEventsLost,string"`
				} `json:"lostEvents"`
			}
			if err := json.Unmarshal(raw, &it); err != nil {
				t.Fatal(err)
			}
			if it.LostEvents != nil && it.LostEvents.Source == "UI_RATE_LIMIT" {
				lost += it.LostEvents.N
			}
			if it.Flow != nil {
				flows++
			}
		}
	}
	if lost == 0 || flows == 0 || flows > 200 {
		t.Fatalf("got %d flows and %d lost at 50/s from 1000/s over 2 s", flows, lost)
	}
	if got := hs.h.Stats().RateLimited.Load(); got < lost {
		t.Fatalf("handler counted %d rate-limited flows, the client was told %d", got, lost)
	}
	t.Logf("%d flows, %d reported lost", flows, lost)
}
