package cronjob

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
)

// nextDelta is added to the time of the next run when requeueing, so the
// sync lands just after it.
const nextDelta = 100 * time.Millisecond

// parseSchedule parses spec.schedule in spec.timeZone.
func parseSchedule(cj *batchv1.CronJob) (cron.Schedule, error) {
	s := cj.Spec.Schedule
	if tz := cj.Spec.TimeZone; tz != nil && !strings.Contains(s, "TZ") {
		if _, err := time.LoadLocation(*tz); err != nil {
			return nil, fmt.Errorf("invalid timeZone %q: %w", *tz, err)
		}
		s = fmt.Sprintf("TZ=%s %s", *tz, s)
	}
	return cron.ParseStandard(s)
}

// mostRecent returns the latest scheduled time in (earliest, now], where
// earliest is the last schedule time (else the creation time), moved up to
// now-startingDeadlineSeconds when given and withDeadline. It also returns
// earliest and how many times were missed (roughly, as kube counts them).
func mostRecent(cj *batchv1.CronJob, sched cron.Schedule, now time.Time, withDeadline bool) (last *time.Time, earliest time.Time, missed int64, err error) {
	earliest = cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; withDeadline && d != nil {
		if cut := now.Add(-time.Duration(*d) * time.Second); cut.After(earliest) {
			earliest = cut
		}
	}
	t1 := sched.Next(earliest)
	if t1.IsZero() || now.Before(t1) {
		return nil, earliest, 0, nil
	}
	t2 := sched.Next(t1)
	if now.Before(t2) {
		return &t1, earliest, 1, nil
	}
	// Many times have passed: jump by the period between the first two,
	// then walk to the exact latest one (periods need not be equal).
	period := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if period < 1 {
		return nil, earliest, 0, fmt.Errorf("time between two schedules is less than 1 second")
	}
	missed = int64(now.Sub(t1).Seconds())/period + 1
	t := time.Unix(t1.Unix()+(missed-1)*period, 0).In(t1.Location())
	for n := sched.Next(t); !n.After(now) && !n.IsZero(); n = sched.Next(n) {
		t = n
	}
	return &t, earliest, missed, nil
}

// untilNext is how long until the next scheduled time after the most
// recent one (or after earliest when none is due), plus nextDelta.
func untilNext(cj *batchv1.CronJob, sched cron.Schedule, now time.Time) time.Duration {
	last, earliest, _, err := mostRecent(cj, sched, now, false)
	if err != nil {
		return 0
	}
	from := earliest
	switch {
	case last != nil:
		from = *last
	case earliest.After(now):
		from = now
	}
	next := sched.Next(from)
	if next.IsZero() {
		return 0
	}
	return next.Add(nextDelta).Sub(now)
}

// jobName is <cronjob>-<scheduled time in minutes since the epoch>.
func jobName(cj *batchv1.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}
