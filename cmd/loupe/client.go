package main

import (
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// defaultServer is the local agent's unix socket.
const defaultServer = "unix:///var/run/loupe/loupe.sock"

// dial connects to an agent or relay. server is "unix:///path" or "host:port";
// plaintext is only allowed to loopback and unix sockets.
func dial(server string) (*grpc.ClientConn, error) {
	target := server
	if !strings.HasPrefix(server, "unix:") && !strings.Contains(server, "://") {
		target = "passthrough:///" + server
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, badInput("--server %q: %v", server, err)
	}
	return conn, nil
}

// serverFlagHelp is the help text of every --server flag.
var serverFlagHelp = fmt.Sprintf("agent or relay address: %s, or host:port (agent 127.0.0.1:4244, relay 127.0.0.1:4245)", defaultServer)
