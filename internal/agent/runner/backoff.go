package runner

import "time"

// backoff is one container's crash-loop back-off, counted as the kubelet's
// flowcontrol.Backoff counts it (without jitter):
//
//   - the first restart after an exit is immediate and arms the back-off at
//     the initial delay;
//   - an exit while armed holds the next start until finishedAt+delay, and
//     the restart after it doubles the delay, up to the maximum;
//   - a container that ran for more than twice the maximum (10m with the
//     kubelet's 5m) since its last restart starts over at the initial delay.
type backoff struct {
	delay      time.Duration // current delay; 0 when not armed
	lastUpdate time.Time     // when the delay was last armed or doubled
}

// expired reports whether the entry has gone stale: the exit at finishedAt
// came more than 2×max after the last restart.
func (b *backoff) expired(finishedAt time.Time, max time.Duration) bool {
	return b.delay == 0 || finishedAt.Sub(b.lastUpdate) > 2*max
}

// holds reports whether an exit at finishedAt is still in back-off at now,
// and until when.
func (b *backoff) holds(finishedAt, now time.Time, max time.Duration) (bool, time.Time) {
	if b.expired(finishedAt, max) {
		return false, time.Time{}
	}
	until := finishedAt.Add(b.delay)
	return now.Before(until), until
}

// next records a restart at now after an exit at finishedAt: the delay is
// armed at initial, or doubled up to max.
func (b *backoff) next(finishedAt, now time.Time, initial, max time.Duration) {
	if b.expired(finishedAt, max) {
		b.delay = initial
	} else {
		b.delay = min(2*b.delay, max)
	}
	b.lastUpdate = now
}
