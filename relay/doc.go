// Package relay is loupe's cluster-wide view: it connects to every node's
// collector, merges their flows into one time order and serves the same
// Observer API for the whole cluster; with an Archive it also hands every
// flow of every node to the store, and with a History it answers for times
// the nodes' buffers no longer hold.
//
// The parts, each its own package: peers (the connection to each node, from
// a static list and from the nodes' Peer API), merge (the sort window),
// observer (the API), archiver (the streams into the Archive). This package
// wires them: New validates, Start starts them in order, Stop stops them in
// reverse. It does not import the store (query/): the store implements the
// two interfaces below, and the command wires it in.
package relay
