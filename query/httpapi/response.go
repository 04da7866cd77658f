package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/loupe-dev/loupe/query/incident"
)

// errorBody is every error's answer; Param names the refused parameter of
// a 400.
type errorBody struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	body := errorBody{Error: err.Error()}
	var pe *incident.ParamError
	if errors.As(err, &pe) {
		body.Param = pe.Param
	}
	writeJSON(w, status, body)
}

// writeJSON answers with v. Flow data is attacker-controlled (labels, DNS
// names, paths): the encoder escapes <, > and &, and nosniff keeps a
// browser from reading the answer as anything but JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
