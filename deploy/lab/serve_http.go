package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxSlow caps /slow?ms=N so that a request cannot pin a handler for long.
const maxSlow = 10 * time.Second

type httpServer struct {
	ln  net.Listener
	srv *http.Server
}

// listenHTTP binds the port on every address of the workload, IPv4 and
// IPv6 (one dual-stack socket).
func listenHTTP(port uint16, lab string, w *Workload, log *slog.Logger) (*httpServer, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, err
	}
	return &httpServer{ln: ln, srv: &http.Server{
		Handler:           NewHTTPHandler(lab, w),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}, nil
}

func (s *httpServer) serve(ctx context.Context) error {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if s.srv.Shutdown(sctx) != nil {
			s.srv.Close()
		}
	})
	err := s.srv.Serve(s.ln)
	if !stop() {
		// Serve returns as soon as shutdown starts; wait for it to finish
		// so that no handler outlives serve.
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve http: %w", err)
}

func (s *httpServer) close() { s.ln.Close() }

// httpReply is the body of every answer: enough to see who answered what.
type httpReply struct {
	Lab       string `json:"lab"`
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Client    string `json:"client"`
	// Downstream is what a /chain/ call got.
	Downstream *chainReply `json:"downstream,omitempty"`
}

// NewHTTPHandler answers any path with 200 and a JSON body naming the
// workload, /status/NNN with status NNN, /bytes/N with N bytes (benchmarks;
// at most 1 MiB), and /slow?ms=N after N ms, so that
// traffic can produce errors and latency on purpose. /chain/HOST:PORT/REST
// calls http://HOST:PORT/REST and answers with its status: nested, it makes
// call chains for tracing (see chainCall).
func NewHTTPHandler(lab string, w *Workload) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		status := http.StatusOK
		var downstream *chainReply
		switch {
		case strings.HasPrefix(r.URL.Path, "/bytes/"):
			n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/"))
			if err != nil || n < 0 || n > maxBytes {
				http.Error(rw, "want /bytes/N with N in 0-1048576\n", http.StatusBadRequest)
				return
			}
			rw.Header().Set("Content-Type", "application/octet-stream")
			rw.Header().Set("Content-Length", strconv.Itoa(n))
			rw.Write(filler[:n])
			return
		case strings.HasPrefix(r.URL.Path, "/chain/"):
			d, err := chainCall(r)
			if err != nil {
				code := http.StatusBadGateway
				if errors.Is(err, errBadChainPath) {
					code = http.StatusBadRequest
				}
				http.Error(rw, err.Error()+"\n", code)
				return
			}
			status, downstream = d.Status, d
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			if err != nil || code < 200 || code > 599 {
				http.Error(rw, "want /status/NNN with NNN in 200-599\n", http.StatusBadRequest)
				return
			}
			status = code
		case r.URL.Path == "/slow":
			ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
			if err != nil || ms < 0 {
				http.Error(rw, "want /slow?ms=N with N >= 0\n", http.StatusBadRequest)
				return
			}
			t := time.NewTimer(min(time.Duration(ms)*time.Millisecond, maxSlow))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		body, _ := json.Marshal(httpReply{
			Lab: lab, Namespace: w.Namespace, Workload: w.Name,
			Method: r.Method, Path: r.URL.Path, Status: status, Client: r.RemoteAddr, Downstream: downstream,
		})
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Server", "loupe-lab")
		rw.WriteHeader(status)
		rw.Write(append(body, '\n'))
	})
}

// maxBytes bounds /bytes/N; filler is what it sends.
const maxBytes = 1 << 20

var filler = []byte(strings.Repeat("loupe lab bytes\n", maxBytes/16))
