package sink

import (
	"math/rand/v2"
	"time"

	"github.com/loupe-dev/loupe/relay/backoff"
)

// retryBackoff spaces out insert retries: 100 ms doubling to 5 s, each with
// up to half of it taken off at random, so that relays restarted together
// do not retry in step.
func retryBackoff() *backoff.Backoff {
	return &backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second, Factor: 2, Jitter: 0.5, Rand: rand.Float64}
}
