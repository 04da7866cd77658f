package ui

import (
	"errors"
	"log/slog"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/ui/live"
)

// Config wires the server to the rest of loupe.
type Config struct {
	// Observer is the relay (or an agent): live flows, history, nodes.
	Observer observer.ObserverClient
	// Agent answers policy questions; nil when none is configured.
	Agent agentpb.AgentClient
	// QueryAPI is the base URL of the relay's HTTP query API
	// (http://127.0.0.1:4246); "" when none.
	QueryAPI string
	// ParseFilter is the CLI's filter language.
	ParseFilter live.FilterParser
	Live        live.Config
	// MaxFlows caps one history answer.
	MaxFlows uint64
	Log      *slog.Logger
}

// errNoAgent answers the requests that need the agent when there is none.
var errNoAgent = errors.New("no agent: start loupe ui with --agent for endpoints and policies")
