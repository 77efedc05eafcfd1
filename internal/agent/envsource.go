package agent

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/portal-dev/portal/internal/agent/runner"
)

// clientEnvSource resolves a pod's ConfigMap and Secret references with a
// GET each: the runner reads them when it starts a container, which is rare
// enough not to need a cache.
type clientEnvSource struct {
	client kubernetes.Interface
}

var _ runner.EnvSource = clientEnvSource{}

func (s clientEnvSource) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return s.client.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (s clientEnvSource) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return s.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}
