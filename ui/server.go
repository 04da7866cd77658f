package ui

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/loupe-dev/loupe/ui/assets"
	"github.com/loupe-dev/loupe/ui/live"
)

// Server is the UI's HTTP handler: the app, /api/v1/live (WebSocket) and
// the JSON API under /api/v1.
type Server struct {
	cfg  Config
	log  *slog.Logger
	live *live.Handler
	mux  *http.ServeMux
	app  fs.FS
}

// New wires the handler; it starts nothing until a request arrives.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxFlows == 0 {
		cfg.MaxFlows = 10000
	}
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), app: assets.FS()}
	s.live = live.New(cfg.Live, cfg.Observer, cfg.ParseFilter, cfg.Log)
	s.mux.Handle("GET /api/v1/live", s.live)
	s.mux.HandleFunc("GET /api/v1/flows", s.serveFlows)
	s.mux.HandleFunc("GET /api/v1/trace/connection", s.serveConnectionTrace)
	s.mux.HandleFunc("GET /api/v1/filter", s.serveFilterCheck)
	s.mux.HandleFunc("GET /api/v1/nodes", s.serveNodes)
	s.mux.HandleFunc("GET /api/v1/status", s.serveStatus)
	s.mux.HandleFunc("GET /api/v1/endpoints", s.serveEndpoints)
	s.mux.HandleFunc("GET /api/v1/policy", s.servePolicy)
	if cfg.QueryAPI != "" {
		target, err := url.Parse(cfg.QueryAPI)
		if err != nil {
			return nil, err
		}
		proxy := &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(target)
				r.Out.Header.Del("Cookie")
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				writeError(w, http.StatusBadGateway, "query API: "+err.Error())
			},
		}
		s.mux.Handle("GET /api/v1/query/", proxy)
	} else {
		s.mux.HandleFunc("GET /api/v1/query/", func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusServiceUnavailable, "no query API: start loupe ui with --query-api (the relay's --http-listen) for history")
		})
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such API")
	})
	files := http.FileServerFS(s.app)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
	return s, nil
}

// ServeHTTP adds the security headers every answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script or style, nothing from elsewhere: flow data that
	// reached the DOM as markup still could not run.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// Stop ends the live streams; the HTTP server's Shutdown ends the rest.
func (s *Server) Stop() { s.live.Stop() }

// LiveStats are the live stream's counters.
func (s *Server) LiveStats() *live.Stats { return s.live.Stats() }

// requestTimeout bounds one JSON request to the relay or the agent.
const requestTimeout = 30 * time.Second
