package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/store"
)

// DefaultTimeout bounds one query, from the request to the last byte read
// from ClickHouse.
const DefaultTimeout = 30 * time.Second

// New serves the incident queries of s, with DefaultTimeout per request.
func New(s *store.Store, log *slog.Logger) http.Handler {
	return newHandler(incident.New(s.Conn()), log, DefaultTimeout)
}

type handler struct {
	reader  *incident.Reader
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
}

func newHandler(r *incident.Reader, log *slog.Logger, timeout time.Duration) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{reader: r, log: log, timeout: timeout, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/query", h.serveKinds)
	mux.HandleFunc("GET /api/v1/query/{kind}", h.serveQuery)
	mux.HandleFunc("/api/v1/query", methodNotAllowed)
	mux.HandleFunc("/api/v1/query/{kind}", methodNotAllowed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint %s: see GET /api/v1/query", r.URL.Path))
	})
	return mux
}

// kindList is the answer to GET /api/v1/query.
type kindList struct {
	Kinds []incident.Kind `json:"kinds"`
}

func (h *handler) serveKinds(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, kindList{Kinds: incident.Kinds})
}

func (h *handler) serveQuery(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if _, err := incident.LookupKind(kind); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	p, err := parseParams(r.URL.Query(), h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	start := time.Now()
	res, err := h.reader.Run(ctx, kind, p)
	switch {
	case errors.Is(err, incident.ErrInvalid):
		writeError(w, http.StatusBadRequest, err)
	case err != nil && r.Context().Err() != nil:
		// The client left: nobody reads an answer.
		h.log.Debug("query abandoned by the client", "kind", kind, "err", err)
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		h.log.Warn("query timed out", "kind", kind, "query", r.URL.RawQuery, "timeout", h.timeout)
		writeError(w, http.StatusInternalServerError,
			fmt.Errorf("%s timed out after %s: narrow the window or scope it with namespace or workload", kind, h.timeout))
	case err != nil:
		h.log.Warn("query failed", "kind", kind, "query", r.URL.RawQuery, "err", err)
		writeError(w, http.StatusInternalServerError, err)
	default:
		h.log.Debug("query", "kind", kind, "query", r.URL.RawQuery, "duration", time.Since(start))
		writeJSON(w, http.StatusOK, res)
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET")
	writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed: the query API is read-only, use GET", r.Method))
}
