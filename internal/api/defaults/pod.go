package defaults

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Pod fills the defaults kube-apiserver gives a core/v1 Pod: the ones every
// PodSpec gets (see PodSpec) plus the ones that only materialise on a Pod
// and never in a pod template:
//   - container and init-container resource requests copied from limits
//     where a request is missing;
//   - pod-level resource requests and limits inferred from the containers
//     when spec.resources is partly set (PodLevelResources, on by default);
//   - spec.enableServiceLinks true;
//   - with hostNetwork, each container port's hostPort set to its
//     containerPort.
//
// It then rounds the resource quantities in status up to milli scale.
//
// Not done here, because kube does them outside defaulting: status.phase
// Pending and status.qosClass (the pod registry strategy), serviceAccountName
// "default", the projected service-account token volume and mounts (the
// ServiceAccount admission plugin), default tolerations (the
// DefaultTolerationSeconds plugin), priority (the Priority plugin).
func Pod(pod *corev1.Pod) {
	podOnlyDefaults(pod)
	PodSpec(&pod.Spec)
	st := &pod.Status
	for _, statuses := range [][]corev1.ContainerStatus{st.InitContainerStatuses, st.ContainerStatuses, st.EphemeralContainerStatuses} {
		for i := range statuses {
			roundResourceList(statuses[i].AllocatedResources)
			roundRequirements(statuses[i].Resources)
		}
	}
	roundResourceList(st.AllocatedResources)
	roundRequirements(st.Resources)
}

// podOnlyDefaults is kube's SetDefaults_Pod: the part of pod defaulting that
// is not applied to pod templates. It runs before the PodSpec defaults.
func podOnlyDefaults(pod *corev1.Pod) {
	for _, containers := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range containers {
			requestsFromLimits(&containers[i].Resources)
		}
	}
	podLevelResourceDefaults(pod)
	if pod.Spec.EnableServiceLinks == nil {
		pod.Spec.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
	}
	if pod.Spec.HostNetwork {
		hostPortsFromContainerPorts(pod.Spec.Containers)
		hostPortsFromContainerPorts(pod.Spec.InitContainers)
	}
}

// requestsFromLimits copies each limit into requests where that resource has
// no request. Requests stay nil when there are no limits.
func requestsFromLimits(r *corev1.ResourceRequirements) {
	if r.Limits == nil {
		return
	}
	if r.Requests == nil {
		r.Requests = make(corev1.ResourceList, len(r.Limits))
	}
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; !ok {
			r.Requests[name] = q.DeepCopy()
		}
	}
}

func hostPortsFromContainerPorts(containers []corev1.Container) {
	for i := range containers {
		for j := range containers[i].Ports {
			p := &containers[i].Ports[j]
			if p.HostPort == 0 {
				p.HostPort = p.ContainerPort
			}
		}
	}
}

// PodTemplateSpec fills the defaults of the pod template embedded in
// workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
// ReplicationController, PodTemplate): those of its PodSpec. The pod-only
// defaults (see Pod) are deliberately not applied, as in kube, so a template
// never shows enableServiceLinks or requests copied from limits.
func PodTemplateSpec(t *corev1.PodTemplateSpec) {
	PodSpec(&t.Spec)
}

// PodSpec fills the defaults every PodSpec gets, in a Pod or a template:
// restartPolicy Always, dnsPolicy ClusterFirst, an empty securityContext,
// terminationGracePeriodSeconds 30, schedulerName default-scheduler; the
// defaults of each volume (see Volume) and of each container, init container
// and ephemeral container (see Container); and rounding of overhead and
// pod-level resources up to milli scale.
func PodSpec(spec *corev1.PodSpec) {
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = ptr.To(int64(corev1.DefaultTerminationGracePeriodSeconds))
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = corev1.DefaultSchedulerName
	}
	for i := range spec.Volumes {
		Volume(&spec.Volumes[i])
	}
	for i := range spec.InitContainers {
		Container(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		Container(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		Container((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
	roundResourceList(spec.Overhead)
	roundRequirements(spec.Resources)
}

// Container fills a container's defaults: imagePullPolicy from the image
// reference (Always for the tag "latest", written or implied by a reference
// without tag and digest, IfNotPresent otherwise), terminationMessagePath
// /dev/termination-log, terminationMessagePolicy File, port protocol TCP,
// env fieldRef apiVersion v1 and fileKeyRef optional false, resource
// quantities rounded up to milli scale, probe and lifecycle-handler defaults.
// It applies equally to init and ephemeral containers.
func Container(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = pullPolicyFor(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = corev1.ProtocolTCP
		}
	}
	for i := range c.Env {
		src := c.Env[i].ValueFrom
		if src == nil {
			continue
		}
		if src.FieldRef != nil {
			objectFieldSelector(src.FieldRef)
		}
		if src.FileKeyRef != nil && src.FileKeyRef.Optional == nil {
			src.FileKeyRef.Optional = ptr.To(false)
		}
	}
	roundResourceList(c.Resources.Limits)
	roundResourceList(c.Resources.Requests)
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			probe(p)
		}
	}
	if c.Lifecycle != nil {
		for _, h := range []*corev1.LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
			if h != nil && h.HTTPGet != nil {
				httpGetAction(h.HTTPGet)
			}
		}
	}
}

// probe fills timeoutSeconds 1, periodSeconds 10, successThreshold 1,
// failureThreshold 3, the httpGet defaults and grpc service "".
func probe(p *corev1.Probe) {
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.HTTPGet != nil {
		httpGetAction(p.HTTPGet)
	}
	if p.GRPC != nil && p.GRPC.Service == nil {
		p.GRPC.Service = ptr.To("")
	}
}

// httpGetAction fills path "/" and scheme HTTP.
func httpGetAction(a *corev1.HTTPGetAction) {
	if a.Path == "" {
		a.Path = "/"
	}
	if a.Scheme == "" {
		a.Scheme = corev1.URISchemeHTTP
	}
}

// objectFieldSelector fills apiVersion "v1" (downward API field references).
func objectFieldSelector(s *corev1.ObjectFieldSelector) {
	if s.APIVersion == "" {
		s.APIVersion = "v1"
	}
}

// Volume fills a volume's defaults: a volume naming no source becomes an
// emptyDir; secret, configMap, downwardAPI and projected volumes get
// defaultMode 0644 (420); hostPath gets type "" (explicitly unset);
// downward API field references get apiVersion v1; service-account token
// projections get expirationSeconds 3600; image volumes get a pullPolicy by
// the container image rule; legacy in-tree sources (iSCSI, RBD, Azure Disk,
// ScaleIO) get their documented defaults; a generic ephemeral volume's claim
// template gets the PersistentVolumeClaimSpec defaults.
func Volume(v *corev1.Volume) {
	src := &v.VolumeSource
	if ptr.AllPtrFieldsNil(src) {
		*src = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	}
	if src.Image != nil && src.Image.PullPolicy == "" {
		src.Image.PullPolicy = pullPolicyFor(src.Image.Reference)
	}
	if src.HostPath != nil && src.HostPath.Type == nil {
		src.HostPath.Type = ptr.To(corev1.HostPathUnset)
	}
	if src.Secret != nil && src.Secret.DefaultMode == nil {
		src.Secret.DefaultMode = ptr.To(corev1.SecretVolumeSourceDefaultMode)
	}
	if src.ConfigMap != nil && src.ConfigMap.DefaultMode == nil {
		src.ConfigMap.DefaultMode = ptr.To(corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if d := src.DownwardAPI; d != nil {
		if d.DefaultMode == nil {
			d.DefaultMode = ptr.To(corev1.DownwardAPIVolumeSourceDefaultMode)
		}
		downwardAPIItems(d.Items)
	}
	if p := src.Projected; p != nil {
		if p.DefaultMode == nil {
			p.DefaultMode = ptr.To(corev1.ProjectedVolumeSourceDefaultMode)
		}
		for i := range p.Sources {
			s := &p.Sources[i]
			if s.DownwardAPI != nil {
				downwardAPIItems(s.DownwardAPI.Items)
			}
			if s.ServiceAccountToken != nil && s.ServiceAccountToken.ExpirationSeconds == nil {
				s.ServiceAccountToken.ExpirationSeconds = ptr.To(int64(time.Hour / time.Second))
			}
		}
	}
	if src.ISCSI != nil && src.ISCSI.ISCSIInterface == "" {
		src.ISCSI.ISCSIInterface = "default"
	}
	if r := src.RBD; r != nil {
		rbdDefaults(&r.RBDPool, &r.RadosUser, &r.Keyring)
	}
	if src.AzureDisk != nil {
		azureDisk(src.AzureDisk)
	}
	if s := src.ScaleIO; s != nil {
		scaleIODefaults(&s.StorageMode, &s.FSType)
	}
	if e := src.Ephemeral; e != nil && e.VolumeClaimTemplate != nil {
		PersistentVolumeClaimSpec(&e.VolumeClaimTemplate.Spec)
	}
}

func downwardAPIItems(items []corev1.DownwardAPIVolumeFile) {
	for i := range items {
		if items[i].FieldRef != nil {
			objectFieldSelector(items[i].FieldRef)
		}
	}
}

func rbdDefaults(pool, user, keyring *string) {
	if *pool == "" {
		*pool = "rbd"
	}
	if *user == "" {
		*user = "admin"
	}
	if *keyring == "" {
		*keyring = "/etc/ceph/keyring"
	}
}

func scaleIODefaults(storageMode, fsType *string) {
	if *storageMode == "" {
		*storageMode = "ThinProvisioned"
	}
	if *fsType == "" {
		*fsType = "xfs"
	}
}

func azureDisk(a *corev1.AzureDiskVolumeSource) {
	if a.CachingMode == nil {
		a.CachingMode = ptr.To(corev1.AzureDataDiskCachingReadWrite)
	}
	if a.Kind == nil {
		a.Kind = ptr.To(corev1.AzureSharedBlobDisk)
	}
	if a.FSType == nil {
		a.FSType = ptr.To("ext4")
	}
	if a.ReadOnly == nil {
		a.ReadOnly = ptr.To(false)
	}
}
