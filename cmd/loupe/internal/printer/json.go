package printer

import (
	"bytes"
	"encoding/json"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// jsonLines prints every response as one line of protojson, for jq and
// scripts: {"flow":{...},"nodeName":"node-1","time":"..."}.
type jsonLines struct{ w io.Writer }

func (j *jsonLines) flow(r *observer.GetFlowsResponse, _ *flow.Flow) error { return j.write(r) }

func (j *jsonLines) lost(r *observer.GetFlowsResponse, _ *flow.LostEvent) error { return j.write(r) }

func (j *jsonLines) nodeStatus(r *observer.GetFlowsResponse, _ *observer.NodeStatusEvent) error {
	return j.write(r)
}

func (j *jsonLines) write(r *observer.GetFlowsResponse) error {
	b, err := marshalJSON(r, false)
	if err != nil {
		return err
	}
	_, err = j.w.Write(append(b, '\n'))
	return err
}

func (j *jsonLines) close() error { return nil }

// marshalJSON renders m as protojson with deterministic spacing: protojson
// varies its whitespace on purpose, and output people diff should not.
func marshalJSON(m proto.Message, indent bool) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if indent {
		err = json.Indent(&buf, raw, "", "  ")
	} else {
		err = json.Compact(&buf, raw)
	}
	return buf.Bytes(), err
}
