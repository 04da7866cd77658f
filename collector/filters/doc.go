// Package filters compiles FlowFilters, the one filter language of loupe, into
// matching functions for the live path: the collector's ring, the Observer API,
// the relay and metrics scoping all decide with the same code.
//
// A FlowFilter is a set of fields. The fields that are set are ANDed and the
// values of one field are ORed; a flow passes a request if there are no allow
// filters or any of them matches, and no deny filter matches.
//
// Compile does all the parsing (selectors, prefixes, regular expressions,
// patterns) up front and refuses a request whole when any value is wrong, so
// that matching, which runs once per flow and reader, neither fails nor
// allocates. The history side (query/) translates the same fields to SQL and
// must give the same answers: the value syntax documented on each field here
// is the contract.
package filters
