package agent

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/portal-dev/portal/internal/version"
)

// KubeletVersion is what the agent reports as status.nodeInfo.kubeletVersion.
const KubeletVersion = "v" + version.KubernetesMajor + "." + version.KubernetesMinor + ".0-portal"

// machine is what the node reports about the computer it runs on.
type machine struct {
	Info     corev1.NodeSystemInfo
	Capacity corev1.ResourceList
}

// readMachine reads the machine's identity and size from /proc, /etc and
// /sys (Linux); a file that cannot be read leaves its field empty.
func readMachine(maxPods int) machine {
	info := corev1.NodeSystemInfo{
		MachineID:               firstLine("/etc/machine-id"),
		SystemUUID:              strings.ToLower(firstLine("/sys/class/dmi/id/product_uuid")),
		BootID:                  firstLine("/proc/sys/kernel/random/boot_id"),
		KernelVersion:           firstLine("/proc/sys/kernel/osrelease"),
		OSImage:                 osImage(),
		ContainerRuntimeVersion: "portal://" + version.Version,
		KubeletVersion:          KubeletVersion,
		OperatingSystem:         runtime.GOOS,
		Architecture:            runtime.GOARCH,
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:  *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourcePods: *resource.NewQuantity(int64(maxPods), resource.DecimalSI),
	}
	if kib := memTotalKiB(); kib > 0 {
		capacity[corev1.ResourceMemory] = *resource.NewQuantity(kib*1024, resource.BinarySI)
	}
	return machine{Info: info, Capacity: capacity}
}

func firstLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

// osImage is PRETTY_NAME of os-release(5), as kubelet reports it.
func osImage() string {
	for _, path := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return runtime.GOOS
}

func memTotalKiB() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}
