package live

import (
	"bytes"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/observer"
)

var recordJSON = protojson.MarshalOptions{}

// batchEncoder writes records as one {"t":"items","items":[...]} message,
// reusing its buffer.
type batchEncoder struct {
	buf bytes.Buffer
	n   int
}

func (e *batchEncoder) reset() {
	e.buf.Reset()
	e.buf.WriteString(`{"t":"items","items":[`)
	e.n = 0
}

func (e *batchEncoder) add(r *observer.GetFlowsResponse) error {
	b, err := recordJSON.Marshal(r)
	if err != nil {
		return err
	}
	e.sep()
	e.buf.Write(b)
	return nil
}

// addLost appends a lost-event record of the UI's own: source is
// UI_RATE_LIMIT or UI_QUEUE.
func (e *batchEncoder) addLost(source string, n uint64) {
	e.sep()
	e.buf.WriteString(`{"lostEvents":{"source":"`)
	e.buf.WriteString(source)
	e.buf.WriteString(`","numEventsLost":"`)
	e.buf.WriteString(strconv.FormatUint(n, 10))
	e.buf.WriteString(`"},"nodeName":"ui"}`)
}

func (e *batchEncoder) sep() {
	if e.n > 0 {
		e.buf.WriteByte(',')
	}
	e.n++
}

func (e *batchEncoder) bytes() []byte {
	e.buf.WriteString("]}")
	return e.buf.Bytes()
}
