package printers

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Printers for batch/v1 Jobs and CronJobs.

func jobPrinter() resourcePrinter {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "Status of the job."),
		column("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
		column("Duration", "string", "Time required to complete the job."),
		ageColumn(),
		containersColumn(),
		imagesColumn(),
		wideColumn("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
	}
	return newPrinter(columns,
		func(l *batchv1.JobList) []batchv1.Job { return l.Items },
		func(j *batchv1.Job, now time.Time) metav1.TableRow {
			names, images := containerCells(j.Spec.Template.Spec.Containers)
			return metav1.TableRow{Cells: []any{
				j.Name, jobStatus(j), jobCompletions(j), jobDuration(j, now), since(j.CreationTimestamp, now),
				names, images, metav1.FormatLabelSelector(j.Spec.Selector),
			}}
		})
}

// jobStatus is the first that applies of Complete, Failed, Terminating
// (being deleted), Suspended, FailureTarget, SuccessCriteriaMet, else
// Running. A condition counts when its first occurrence is True.
func jobStatus(j *batchv1.Job) string {
	switch {
	case jobCondition(j, batchv1.JobComplete):
		return "Complete"
	case jobCondition(j, batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case jobCondition(j, batchv1.JobSuspended):
		return "Suspended"
	case jobCondition(j, batchv1.JobFailureTarget):
		return "FailureTarget"
	case jobCondition(j, batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	default:
		return "Running"
	}
}

func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// jobCompletions is "succeeded/completions"; without completions it is
// "succeeded/1", or "succeeded/1 of parallelism" for a parallel work queue.
func jobCompletions(j *batchv1.Job) string {
	if j.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	}
	if p := j.Spec.Parallelism; p != nil && *p > 1 {
		return fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, *p)
	}
	return fmt.Sprintf("%d/1", j.Status.Succeeded)
}

// jobDuration is empty before the job starts, the time since its start
// while it runs, and start to completion once it completed.
func jobDuration(j *batchv1.Job, now time.Time) string {
	switch {
	case j.Status.StartTime == nil:
		return ""
	case j.Status.CompletionTime == nil:
		return duration.HumanDuration(now.Sub(j.Status.StartTime.Time))
	default:
		return duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
	}
}

func cronJobPrinter() resourcePrinter {
	spec := batchv1beta1.CronJobSpec{}.SwaggerDoc()
	status := batchv1beta1.CronJobStatus{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Schedule", "string", spec["schedule"]),
		column("Timezone", "string", spec["timeZone"]),
		column("Suspend", "boolean", spec["suspend"]),
		column("Active", "integer", status["active"]),
		column("Last Schedule", "string", status["lastScheduleTime"]),
		ageColumn(),
		containersColumn(),
		imagesColumn(),
		wideColumn("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
	}
	return newPrinter(columns,
		func(l *batchv1.CronJobList) []batchv1.CronJob { return l.Items },
		func(cj *batchv1.CronJob, now time.Time) metav1.TableRow {
			lastSchedule := none
			if t := cj.Status.LastScheduleTime; t != nil {
				lastSchedule = since(*t, now)
			}
			timeZone := none
			if cj.Spec.TimeZone != nil {
				timeZone = *cj.Spec.TimeZone
			}
			job := cj.Spec.JobTemplate.Spec
			names, images := containerCells(job.Template.Spec.Containers)
			return metav1.TableRow{Cells: []any{
				cj.Name, cj.Spec.Schedule, timeZone, boolPtrCell(cj.Spec.Suspend), int64(len(cj.Status.Active)),
				lastSchedule, since(cj.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(job.Selector),
			}}
		})
}
