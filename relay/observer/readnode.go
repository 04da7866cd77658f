package observer

import (
	"context"
	"errors"
	"io"

	observerpb "github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/peers"
)

// errStreamEnded is a follow stream that a node closed.
var errStreamEnded = errors.New("node ended the stream")

// readNode streams req from node n into push, until the stream ends (nil,
// or errStreamEnded when it was to follow), fails, or ctx ends.
func readNode(ctx context.Context, n peers.Node, req *observerpb.GetFlowsRequest, push func(*observerpb.GetFlowsResponse) error) error {
	stream, err := observerpb.NewObserverClient(n.Conn).GetFlows(ctx, req)
	if err != nil {
		return err
	}
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if req.GetFollow() {
				return errStreamEnded
			}
			return nil
		}
		if err != nil {
			return err
		}
		if r.GetNodeName() == "" {
			r.NodeName = n.Name
		}
		if err := push(r); err != nil {
			return err
		}
	}
}
