package validation

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxCronJobNameLength leaves room for the 11-character suffix the CronJob
// controller appends to Job names (Job names are at most 63 characters).
const maxCronJobNameLength = 63 - 11

var (
	supportedCompletionModes   = []batchv1.CompletionMode{batchv1.IndexedCompletion, batchv1.NonIndexedCompletion}
	supportedConcurrency       = []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}
	jobRestartPolicies         = []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	validTimeZoneCharacters    = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)
	jobGeneratedSelectorLabels = []string{batchv1.ControllerUidLabel, batchv1.JobNameLabel}
)

// ValidateJob checks a batch/v1 Job on create. Like kube it expects the REST
// layer to have set metadata.uid and, unless spec.manualSelector is true, to
// have generated the selector and the batch.kubernetes.io/controller-uid and
// batch.kubernetes.io/job-name template labels; it then checks those,
// counts are non-negative, the template is valid with restartPolicy
// OnFailure or Never, and the selector matches the template labels.
func ValidateJob(job *batchv1.Job) field.ErrorList {
	allErrs := ValidateObjectMeta(&job.ObjectMeta, true, nameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateGeneratedSelector(job)...)
	return append(allErrs, validateJobSpecWithSelector(&job.Spec, field.NewPath("spec"))...)
}

// ValidateJobUpdate checks a Job update: the spec rules, then completions,
// selector and template are immutable. (kube reports a changed template with
// its internal type as the bad value; the value here is the v1 template.)
func ValidateJobUpdate(job, old *batchv1.Job) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateJobSpecWithSelector(&job.Spec, specPath)...)
	allErrs = append(allErrs, validateImmutable(job.Spec.Completions, old.Spec.Completions, specPath.Child("completions"))...)
	allErrs = append(allErrs, validateImmutable(job.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	return append(allErrs, validateImmutable(job.Spec.Template, old.Spec.Template, specPath.Child("template"))...)
}

func validateGeneratedSelector(job *batchv1.Job) field.ErrorList {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector || job.Spec.Selector == nil {
		return nil
	}
	var allErrs field.ErrorList
	if job.UID == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("metadata").Child("uid"), ""))
	}
	tmplMeta := field.NewPath("spec").Child("template").Child("metadata")
	expected := map[string]string{batchv1.ControllerUidLabel: string(job.UID), batchv1.JobNameLabel: job.Name}
	for _, key := range jobGeneratedSelectorLabels {
		want := expected[key]
		got, found := job.Spec.Template.Labels[key]
		if !found {
			allErrs = append(allErrs, field.Required(tmplMeta.Child("labels").Key(key), fmt.Sprintf("must be '%s'", want)))
		} else if got != want {
			allErrs = append(allErrs, field.Invalid(tmplMeta.Child("labels").Key(key), job.Spec.Template.Labels, fmt.Sprintf("must be '%s'", want)))
		}
	}
	if selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector); err == nil && !selector.Matches(labels.Set(expected)) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec").Child("selector"), job.Spec.Selector, "`selector` not auto-generated"))
	}
	return allErrs
}

func validateJobSpecWithSelector(spec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateJobSpec(spec, fldPath)
	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, strictSelector, fldPath.Child("selector"))...)
	}
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !selector.Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("template", "metadata", "labels"), spec.Template.Labels, selectorMismatch))
	}
	return allErrs
}

// validateJobSpec holds the rules shared by Jobs and CronJob job templates.
func validateJobSpec(spec *batchv1.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateNonnegativePtr(spec.Parallelism, fldPath.Child("parallelism"))
	allErrs = append(allErrs, validateNonnegativePtr(spec.Completions, fldPath.Child("completions"))...)
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, validateNonnegative(*spec.ActiveDeadlineSeconds, fldPath.Child("activeDeadlineSeconds"))...)
	}
	allErrs = append(allErrs, validateNonnegativePtr(spec.BackoffLimit, fldPath.Child("backoffLimit"))...)
	allErrs = append(allErrs, validateNonnegativePtr(spec.TTLSecondsAfterFinished, fldPath.Child("ttlSecondsAfterFinished"))...)
	if mode := spec.CompletionMode; mode != nil {
		if !contains(supportedCompletionModes, *mode) {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("completionMode"), *mode, supportedCompletionModes))
		}
		if *mode == batchv1.IndexedCompletion && spec.Completions == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
		}
	}
	allErrs = append(allErrs, ValidatePodTemplateSpec(&spec.Template, fldPath.Child("template"))...)
	if !contains(jobRestartPolicies, spec.Template.Spec.RestartPolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("template", "spec", "restartPolicy"), spec.Template.Spec.RestartPolicy, jobRestartPolicies))
	}
	return allErrs
}

// ValidateCronJob checks a batch/v1 CronJob on create: the schedule parses as
// kube's cron parser requires and does not carry TZ/CRON_TZ (timeZone is the
// field for that), timeZone names a real zone, concurrencyPolicy is known,
// the job template is valid without a selector, and the name leaves room for
// the controller's suffix (at most 52 characters).
func ValidateCronJob(cj *batchv1.CronJob) field.ErrorList {
	allErrs := ValidateObjectMeta(&cj.ObjectMeta, true, nameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateCronJobSpec(&cj.Spec, nil, field.NewPath("spec"))...)
	if len(cj.Name) > maxCronJobNameLength {
		allErrs = append(allErrs, field.Invalid(field.NewPath("metadata").Child("name"), cj.Name, fmt.Sprintf("must be no more than %d characters", maxCronJobNameLength)))
	}
	return allErrs
}

// ValidateCronJobUpdate checks a CronJob update. A TZ in the schedule is
// tolerated if the old schedule had one (but not together with timeZone),
// and timeZone is only re-checked when it changes.
func ValidateCronJobUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateCronJobSpec(&cj.Spec, &old.Spec, field.NewPath("spec"))...)
}

func validateCronJobSpec(spec, oldSpec *batchv1.CronJobSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	schedPath := fldPath.Child("schedule")
	if spec.Schedule == "" {
		allErrs = append(allErrs, field.Required(schedPath, ""))
	} else {
		if err := checkCronSchedule(spec.Schedule); err != nil {
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, err.Error()))
		}
		allowTZ := oldSpec != nil && strings.Contains(oldSpec.Schedule, "TZ")
		hasTZ := strings.Contains(spec.Schedule, "TZ")
		switch {
		case allowTZ && hasTZ && spec.TimeZone != nil:
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
		case !allowTZ && hasTZ:
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
		}
	}
	if spec.StartingDeadlineSeconds != nil {
		allErrs = append(allErrs, validateNonnegative(*spec.StartingDeadlineSeconds, fldPath.Child("startingDeadlineSeconds"))...)
	}
	if oldSpec == nil || !equalStringPtr(oldSpec.TimeZone, spec.TimeZone) {
		allErrs = append(allErrs, validateTimeZone(spec.TimeZone, fldPath.Child("timeZone"))...)
	}
	allErrs = append(allErrs, validateEnum(spec.ConcurrencyPolicy, supportedConcurrency, fldPath.Child("concurrencyPolicy"))...)
	allErrs = append(allErrs, validateJobTemplateSpec(&spec.JobTemplate, fldPath.Child("jobTemplate"))...)
	allErrs = append(allErrs, validateNonnegativePtr(spec.SuccessfulJobsHistoryLimit, fldPath.Child("successfulJobsHistoryLimit"))...)
	return append(allErrs, validateNonnegativePtr(spec.FailedJobsHistoryLimit, fldPath.Child("failedJobsHistoryLimit"))...)
}

func validateJobTemplateSpec(tmpl *batchv1.JobTemplateSpec, fldPath *field.Path) field.ErrorList {
	specPath := fldPath.Child("spec")
	allErrs := validateJobSpec(&tmpl.Spec, specPath)
	if tmpl.Spec.Selector != nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("selector"), tmpl.Spec.Selector, "`selector` will be auto-generated"))
	}
	if tmpl.Spec.ManualSelector != nil && *tmpl.Spec.ManualSelector {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("manualSelector"), tmpl.Spec.ManualSelector, []string{"nil", "false"}))
	}
	return allErrs
}

func validateTimeZone(tz *string, fldPath *field.Path) field.ErrorList {
	if tz == nil {
		return nil
	}
	if *tz == "" {
		return field.ErrorList{field.Invalid(fldPath, tz, "timeZone must be nil or non-empty string")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return field.ErrorList{field.Invalid(fldPath, tz, fmt.Sprintf("unknown time zone %s", *tz))}
		}
	}
	var allErrs field.ErrorList
	if strings.EqualFold(*tz, "Local") {
		allErrs = append(allErrs, field.Invalid(fldPath, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath, tz, err.Error()))
	}
	return allErrs
}
