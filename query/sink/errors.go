package sink

import (
	"errors"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// badData is a batch that the driver refused to encode: sending it again
// cannot help.
type badData struct{ err error }

func (e badData) Error() string { return "bad data: " + e.err.Error() }
func (e badData) Unwrap() error { return e.err }

// retriableCodes are the server exceptions that may pass: overload,
// timeouts, shutdown, network trouble, full disks. Any other exception (a
// missing table, a type mismatch) fails the same way every time.
var retriableCodes = map[int32]bool{
	159:  true, // TIMEOUT_EXCEEDED
	164:  true, // READONLY
	202:  true, // TOO_MANY_SIMULTANEOUS_QUERIES
	203:  true, // NO_FREE_CONNECTION
	209:  true, // SOCKET_TIMEOUT
	210:  true, // NETWORK_ERROR
	236:  true, // ABORTED
	241:  true, // MEMORY_LIMIT_EXCEEDED
	242:  true, // TABLE_IS_READ_ONLY
	243:  true, // NOT_ENOUGH_SPACE
	252:  true, // TOO_MANY_PARTS
	319:  true, // UNKNOWN_STATUS_OF_INSERT
	394:  true, // QUERY_WAS_CANCELLED
	425:  true, // SYSTEM_ERROR
	999:  true, // KEEPER_EXCEPTION
	1000: true, // POCO_EXCEPTION: often a connection reset inside the server
}

// retriable says whether an insert error may pass: everything but bad data
// and server exceptions that are not in retriableCodes. Network errors,
// refused connections and timeouts are retriable.
func retriable(err error) bool {
	if errors.As(err, new(badData)) {
		return false
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return retriableCodes[ex.Code]
	}
	return true
}

func isException(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex)
}
