package enforce

import (
	"github.com/loupe-dev/loupe/datapath/policy"
)

// L7 returns the L7 policy of a connection as installed: the client
// endpoint's egress (srcEP, 0 when the client is not local) toward the
// server's identity, and the server endpoint's ingress (dstEP, 0 when not
// local) from the client's identity, for the protocol and server port. A
// nil set means that side has no L7 rules for it.
func (e *Enforcer) L7(srcEP, dstEP uint16, srcID, dstID uint32, proto uint8, port uint16) (egress, ingress *policy.L7Set) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if srcEP != 0 {
		if ep, ok := e.state[srcEP]; ok {
			egress = policy.DecideL7(ep, policy.Egress, dstID, proto, port)
		}
	}
	if dstEP != 0 {
		if ep, ok := e.state[dstEP]; ok {
			ingress = policy.DecideL7(ep, policy.Ingress, srcID, proto, port)
		}
	}
	return egress, ingress
}
