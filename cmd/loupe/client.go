package main

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/relay/peers"
)

// defaultServer is the local agent's unix socket.
const defaultServer = "unix:///var/run/loupe/loupe.sock"

// dial connects to an agent or relay. server is "unix:///path" or "host:port";
// plaintext is only allowed to loopback and unix sockets.
func dial(server string) (*grpc.ClientConn, error) {
	if !mtls.IsLocal(server) {
		return nil, badInput("--server %q: plaintext is only allowed to loopback addresses and unix sockets: run loupe on that machine (agents off loopback serve mutual TLS, for relays)", server)
	}
	conn, err := grpc.NewClient(peers.Target(server), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, badInput("--server %q: %v", server, err)
	}
	return conn, nil
}

// serverFlagHelp is the help text of every --server flag.
var serverFlagHelp = fmt.Sprintf("agent or relay address: %s, or host:port (agent 127.0.0.1:4244, relay 127.0.0.1:4245)", defaultServer)
