package printers

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func jobCond(t batchv1.JobConditionType, s corev1.ConditionStatus) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: s}
}

func TestJobStatus(t *testing.T) {
	tests := []struct {
		name       string
		conditions []batchv1.JobCondition
		deleting   bool
		want       string
	}{
		{name: "no conditions", want: "Running"},
		{name: "complete", conditions: []batchv1.JobCondition{jobCond(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue), jobCond(batchv1.JobComplete, corev1.ConditionTrue)}, want: "Complete"},
		{name: "failed", conditions: []batchv1.JobCondition{jobCond(batchv1.JobFailureTarget, corev1.ConditionTrue), jobCond(batchv1.JobFailed, corev1.ConditionTrue)}, want: "Failed"},
		{name: "complete wins over deletion", conditions: []batchv1.JobCondition{jobCond(batchv1.JobComplete, corev1.ConditionTrue)}, deleting: true, want: "Complete"},
		{name: "terminating wins over suspended", conditions: []batchv1.JobCondition{jobCond(batchv1.JobSuspended, corev1.ConditionTrue)}, deleting: true, want: "Terminating"},
		{name: "suspended", conditions: []batchv1.JobCondition{jobCond(batchv1.JobSuspended, corev1.ConditionTrue)}, want: "Suspended"},
		{name: "resumed", conditions: []batchv1.JobCondition{jobCond(batchv1.JobSuspended, corev1.ConditionFalse)}, want: "Running"},
		{name: "failure target", conditions: []batchv1.JobCondition{jobCond(batchv1.JobFailureTarget, corev1.ConditionTrue)}, want: "FailureTarget"},
		{name: "success criteria met", conditions: []batchv1.JobCondition{jobCond(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue)}, want: "SuccessCriteriaMet"},
		{name: "first occurrence of a condition decides", conditions: []batchv1.JobCondition{jobCond(batchv1.JobComplete, corev1.ConditionFalse), jobCond(batchv1.JobComplete, corev1.ConditionTrue)}, want: "Running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &batchv1.Job{ObjectMeta: objectMeta("pi", time.Minute), Status: batchv1.JobStatus{Conditions: tt.conditions}}
			if tt.deleting {
				j.DeletionTimestamp = agoPtr(time.Second)
			}
			if got := row(t, grJobs, j)[1]; got != tt.want {
				t.Errorf("status = %v, want %q", got, tt.want)
			}
		})
	}
}

func TestJobRow(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "5d3c"}}
	tests := []struct {
		name string
		job  batchv1.Job
		want []any
	}{
		{
			name: "completed",
			job: batchv1.Job{
				Spec: batchv1.JobSpec{Completions: ptr(int32(1)), Parallelism: ptr(int32(1)), Selector: selector,
					Template: podTemplate(corev1.Container{Name: "pi", Image: "perl:5.40"})},
				Status: batchv1.JobStatus{
					Succeeded: 1, StartTime: agoPtr(10 * time.Minute), CompletionTime: agoPtr(10*time.Minute - 37*time.Second),
					Conditions: []batchv1.JobCondition{jobCond(batchv1.JobComplete, corev1.ConditionTrue)},
				},
			},
			want: []any{"pi", "Complete", "1/1", "37s", "10m", "pi", "perl:5.40", "batch.kubernetes.io/controller-uid=5d3c"},
		},
		{
			name: "running with completions",
			job: batchv1.Job{
				Spec:   batchv1.JobSpec{Completions: ptr(int32(6)), Parallelism: ptr(int32(2))},
				Status: batchv1.JobStatus{Succeeded: 2, Active: 2, StartTime: agoPtr(4*time.Minute + 5*time.Second)},
			},
			want: []any{"pi", "Running", "2/6", "4m5s", "10m", "", "", "<none>"},
		},
		{
			name: "work queue with parallelism",
			job: batchv1.Job{
				Spec:   batchv1.JobSpec{Parallelism: ptr(int32(3))},
				Status: batchv1.JobStatus{Succeeded: 1, StartTime: agoPtr(time.Minute)},
			},
			want: []any{"pi", "Running", "1/1 of 3", "60s", "10m", "", "", "<none>"},
		},
		{
			name: "not started",
			job: batchv1.Job{
				Spec: batchv1.JobSpec{Parallelism: ptr(int32(1)), Suspend: ptr(true)},
				Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{
					jobCond(batchv1.JobSuspended, corev1.ConditionTrue),
				}},
			},
			want: []any{"pi", "Suspended", "0/1", "", "10m", "", "", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.ObjectMeta = objectMeta("pi", 10*time.Minute)
			assertCells(t, row(t, grJobs, &tt.job), tt.want)
		})
	}
}

func TestCronJobRow(t *testing.T) {
	jobTemplate := batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
		Template: podTemplate(corev1.Container{Name: "backup", Image: "restic:0.17"}, corev1.Container{Name: "notify", Image: "curl:8"}),
	}}
	tests := []struct {
		name string
		cj   batchv1.CronJob
		want []any
	}{
		{
			name: "scheduled and active",
			cj: batchv1.CronJob{
				Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", TimeZone: ptr("Europe/Paris"), Suspend: ptr(false), JobTemplate: jobTemplate},
				Status: batchv1.CronJobStatus{
					Active:           []corev1.ObjectReference{{Kind: "Job", Name: "backup-29012345"}},
					LastScheduleTime: agoPtr(3*time.Minute + 20*time.Second),
				},
			},
			want: []any{"backup", "*/5 * * * *", "Europe/Paris", "False", int64(1), "3m20s", "12d", "backup,notify", "restic:0.17,curl:8", "<none>"},
		},
		{
			name: "suspended, never scheduled, no time zone",
			cj: batchv1.CronJob{Spec: batchv1.CronJobSpec{
				Schedule: "@daily", Suspend: ptr(true),
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "backup"}},
				}},
			}},
			want: []any{"backup", "@daily", "<none>", "True", int64(0), "<none>", "12d", "", "", "app=backup"},
		},
		{
			name: "suspend unset",
			cj:   batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *"}},
			want: []any{"backup", "0 3 * * *", "<none>", "<unset>", int64(0), "<none>", "12d", "", "", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cj.ObjectMeta = objectMeta("backup", 12*24*time.Hour)
			assertCells(t, row(t, grCronJobs, &tt.cj), tt.want)
		})
	}
}
