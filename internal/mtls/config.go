package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Files are the paths of a certificate, its key and the CA that the other
// side's certificate must chain to.
type Files struct {
	Cert, Key, CA string
}

// Empty reports whether no file is given: the connection is plaintext.
func (f Files) Empty() bool { return f.Cert == "" && f.Key == "" && f.CA == "" }

// ErrIncomplete means some but not all of the three files were given.
var ErrIncomplete = errors.New("mutual TLS needs a certificate, its key and a CA")

// ServerConfig is an agent's listener: it presents its certificate and
// accepts only clients whose certificate chains to f.CA.
func (f Files) ServerConfig() (*tls.Config, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// ClientConfig is the relay's side: it presents its certificate and
// accepts only a server certificate that chains to f.CA and names
// serverName.
func (f Files) ClientConfig(serverName string) (*tls.Config, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   serverName,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

func (f Files) load() (tls.Certificate, *x509.CertPool, error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return tls.Certificate{}, nil, ErrIncomplete
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("load certificate: %w", err)
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return tls.Certificate{}, nil, fmt.Errorf("read CA %s: no PEM certificate in it", f.CA)
	}
	return cert, pool, nil
}
