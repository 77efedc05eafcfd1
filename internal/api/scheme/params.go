package scheme

import (
	"net/url"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// addQueryConversions registers the query-string decoders of the option
// kinds the API takes as URL parameters beyond metav1's (which
// metav1.AddToGroupVersion registers): pods/log's PodLogOptions. kube
// generates these in its internal API packages, which portal does not have.
func addQueryConversions(s *runtime.Scheme) error {
	return s.AddConversionFunc((*url.Values)(nil), (*corev1.PodLogOptions)(nil), func(a, b interface{}, scope conversion.Scope) error {
		return convertURLValuesToPodLogOptions(a.(*url.Values), b.(*corev1.PodLogOptions), scope)
	})
}

// convertURLValuesToPodLogOptions decodes ?container=&follow=… as kube's
// generated Convert_url_Values_To_v1_PodLogOptions does: a parameter that
// is absent leaves the zero value.
func convertURLValuesToPodLogOptions(in *url.Values, out *corev1.PodLogOptions, s conversion.Scope) error {
	q := map[string][]string(*in)
	str := func(key string, dst *string) error {
		if v, ok := q[key]; ok && len(v) > 0 {
			return runtime.Convert_Slice_string_To_string(&v, dst, s)
		}
		*dst = ""
		return nil
	}
	boolean := func(key string, dst *bool) error {
		if v, ok := q[key]; ok && len(v) > 0 {
			return runtime.Convert_Slice_string_To_bool(&v, dst, s)
		}
		*dst = false
		return nil
	}
	int64p := func(key string, dst **int64) error {
		if v, ok := q[key]; ok && len(v) > 0 {
			return runtime.Convert_Slice_string_To_Pointer_int64(&v, dst, s)
		}
		*dst = nil
		return nil
	}
	for _, err := range []error{
		str("container", &out.Container),
		boolean("follow", &out.Follow),
		boolean("previous", &out.Previous),
		int64p("sinceSeconds", &out.SinceSeconds),
		boolean("timestamps", &out.Timestamps),
		int64p("tailLines", &out.TailLines),
		int64p("limitBytes", &out.LimitBytes),
		boolean("insecureSkipTLSVerifyBackend", &out.InsecureSkipTLSVerifyBackend),
	} {
		if err != nil {
			return err
		}
	}
	out.SinceTime = nil
	if v, ok := q["sinceTime"]; ok && len(v) > 0 {
		if err := metav1.Convert_Slice_string_To_Pointer_v1_Time(&v, &out.SinceTime, s); err != nil {
			return err
		}
	}
	out.Stream = nil
	if v, ok := q["stream"]; ok && len(v) > 0 {
		stream := v[0]
		out.Stream = &stream
	}
	return nil
}
