package peers

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/loupe-dev/loupe/internal/mtls"
)

var (
	// ErrPlaintextRemote refuses plaintext to an address off this machine.
	ErrPlaintextRemote = errors.New("plaintext is only allowed to loopback addresses and unix sockets")
	// ErrNoClientCert means a node serves mutual TLS and the relay has no
	// certificate to present.
	ErrNoClientCert = errors.New("the node serves mutual TLS and the relay has no client certificate")
)

// dial returns a client of p (not yet connected) and whether it is TLS.
func dial(p Peer, files mtls.Files) (*grpc.ClientConn, bool, error) {
	creds, tls, err := transport(p, files)
	if err != nil {
		return nil, false, err
	}
	conn, err := grpc.NewClient(Target(p.Address), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, false, fmt.Errorf("dial %s: %w", p.Address, err)
	}
	return conn, tls, nil
}

func transport(p Peer, files mtls.Files) (credentials.TransportCredentials, bool, error) {
	if p.TLSServerName == "" {
		if !mtls.IsLocal(p.Address) {
			return nil, false, fmt.Errorf("%s: %w", p.Address, ErrPlaintextRemote)
		}
		return insecure.NewCredentials(), false, nil
	}
	if files.Empty() {
		return nil, false, ErrNoClientCert
	}
	cfg, err := files.ClientConfig(p.TLSServerName)
	if err != nil {
		return nil, false, err
	}
	return credentials.NewTLS(cfg), true, nil
}

// Target is a gRPC target for address: unix sockets and URLs as they are,
// host:port without name resolution.
func Target(address string) string {
	if strings.HasPrefix(address, "unix:") || strings.Contains(address, "://") {
		return address
	}
	return "passthrough:///" + address
}
