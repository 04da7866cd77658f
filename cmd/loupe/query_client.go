package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/internal/mtls"
)

// maxQueryAnswer bounds what `loupe query` reads: 10,000 rows of a few
// hundred bytes fit many times over.
const maxQueryAnswer = 64 << 20

// queryServerURL reads --server: host:port (plaintext, loopback only) or
// an http:// or https:// URL.
func queryServerURL(server string) (*url.URL, error) {
	raw := server
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" {
		return nil, badInput("--server %q: want host:port, http://host:port or https://host:port", server)
	}
	if u.Scheme == "http" && !mtls.IsLocal(u.Host) {
		return nil, badInput("--server %q: plaintext is only allowed to loopback addresses: use https:// or run loupe on the relay's machine", server)
	}
	return u, nil
}

// runIncidentQuery asks the relay and prints the answer.
func runIncidentQuery(cmd *cobra.Command, o *incidentOptions, kind string, u *url.URL) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	body, err := fetchIncident(ctx, o.server, u)
	if err != nil {
		return err
	}
	if o.output == "json" {
		var out bytes.Buffer
		if err := json.Indent(&out, body, "", "  "); err != nil {
			return fmt.Errorf("%s answered with JSON that does not parse: %w", o.server, err)
		}
		out.WriteByte('\n')
		_, err := cmd.OutOrStdout().Write(out.Bytes())
		return err
	}
	return writeIncidentTable(cmd.OutOrStdout(), cmd.ErrOrStderr(), kind, body)
}

// fetchIncident GETs u and returns the body of a 200. A 400 is bad input
// like any other, with the server's words.
func fetchIncident(ctx context.Context, server string, u *url.URL) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, badInput("--server %q: %v", server, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		// The URL is long and says nothing the user did not type.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s did not answer in time (see --timeout): %w", server, err)
		}
		return nil, fmt.Errorf("cannot reach the relay at %s: %w (is loupe relay running? see --server)", server, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxQueryAnswer))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", server, err)
	}
	if res.StatusCode == http.StatusOK {
		return body, nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(string(body))
		if len(e.Error) > 200 {
			e.Error = e.Error[:200] + "..."
		}
	}
	if res.StatusCode == http.StatusBadRequest {
		return nil, badInput("%s refused the query: %s", server, e.Error)
	}
	return nil, fmt.Errorf("%s: %s: %s", server, res.Status, e.Error)
}
