package lab

import (
	"log/slog"
)

// Manager creates, inspects and removes labs recorded under StateDir. It
// holds no resources itself: every method reads the state it needs, so
// separate invocations of the CLI cooperate through the state directory.
type Manager struct {
	// StateDir records labs (see state.go for the layout).
	StateDir string
	// Serve starts a workload's servers; up adds the flags ServeMain parses.
	Serve ServeCommand
	// Log receives warnings about best-effort steps (deregistration).
	Log *slog.Logger
}

// ServeCommand is how to run ServeMain in a new process: the loupe binary
// with "lab serve", or a test binary that dispatches to ServeMain.
type ServeCommand struct {
	Path string
	Args []string
	// Env is added to the inherited environment.
	Env []string
}

// NewManager returns a Manager for stateDir (DefaultStateDir if empty).
func NewManager(stateDir string, serve ServeCommand, log *slog.Logger) *Manager {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{StateDir: stateDir, Serve: serve, Log: log}
}
