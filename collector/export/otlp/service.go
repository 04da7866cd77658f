package otlp

import (
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// serviceName names a flow's endpoint the way traces show services:
// "namespace/workload", or the reserved identity ("world", "host") or the
// address of a peer that is no workload.
func serviceName(ep *flow.Endpoint, ip string) string {
	switch {
	case ep.GetWorkload() != "" && ep.GetNamespace() != "":
		return ep.GetNamespace() + "/" + ep.GetWorkload()
	case ep.GetWorkload() != "":
		return ep.GetWorkload()
	}
	for _, l := range ep.GetLabels() {
		if r, ok := strings.CutPrefix(l, "reserved:"); ok {
			return r
		}
	}
	if ip != "" {
		return ip
	}
	return "unknown"
}
