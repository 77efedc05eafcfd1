// Package cronjob runs batch/v1 CronJobs the way kube-controller-manager's
// cronjob controller (v2) does: at each time spec.schedule names it creates
// a Job from spec.jobTemplate and tracks it in the CronJob's status.
//
// Contracts:
//   - spec.schedule is parsed by github.com/robfig/cron/v3's standard
//     parser (five fields, or @hourly, @daily, @every 1h, ...), the parser
//     kube uses, evaluated in spec.timeZone (default: the controller's
//     local zone, as in kube; portal runs in UTC unless TZ says otherwise).
//   - The Job for scheduled time T is named <cronjob>-<T in minutes since
//     the epoch>, so a time is never run twice even across restarts. It
//     gets the template's labels and annotations, the annotation
//     batch.kubernetes.io/cronjob-scheduled-timestamp (T in RFC 3339, in
//     the CronJob's zone) and an ownerReference with controller=true.
//   - Only the most recent missed time is run. With
//     startingDeadlineSeconds, a time more than that long ago is skipped
//     and earlier times are not looked at.
//   - concurrencyPolicy Allow runs Jobs side by side; Forbid skips a time
//     while a Job is active (it runs later if still within the starting
//     deadline); Replace deletes the active Jobs first.
//   - suspend stops new Jobs; Jobs already running go on.
//   - status.active lists unfinished Jobs, status.lastScheduleTime the
//     last time a Job was created for, status.lastSuccessfulTime the latest
//     completionTime of a Job that completed.
//   - Finished Jobs beyond successfulJobsHistoryLimit and
//     failedJobsHistoryLimit are deleted, oldest first, with background
//     propagation.
//   - The clock is injectable, so tests drive time.
//
// Not done: Events (UnexpectedJob, MissSchedule, ...). portal has no
// garbage collector, so a deleted Job's pods remain there (a cluster's
// collector deletes them).
package cronjob
