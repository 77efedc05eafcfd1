package agent

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// dnsSettings is what a pod's resolv.conf says.
type dnsSettings struct {
	Nameservers []string
	Searches    []string
	Options     []string
}

// podDNS computes a pod's DNS settings per its dnsPolicy, as kubelet does:
//
//   - ClusterFirst (the default): the cluster nameserver, the search list
//     <ns>.svc.<zone> svc.<zone> <zone>, and ndots:5. A hostNetwork pod
//     with ClusterFirst gets the host's settings instead.
//   - ClusterFirstWithHostNet: the cluster settings, hostNetwork or not.
//   - Default: the host's settings (host is the node's resolv.conf).
//   - None: only spec.dnsConfig.
//
// spec.dnsConfig is then merged in: its nameservers and searches appended
// (duplicates dropped), its options overriding same-named ones.
func podDNS(pod *corev1.Pod, clusterDNS, zone string, host dnsSettings) dnsSettings {
	policy := pod.Spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst
	}
	var s dnsSettings
	switch {
	case policy == corev1.DNSNone:
	case policy == corev1.DNSDefault, policy == corev1.DNSClusterFirst && pod.Spec.HostNetwork:
		s = dnsSettings{
			Nameservers: slices.Clone(host.Nameservers),
			Searches:    slices.Clone(host.Searches),
			Options:     slices.Clone(host.Options),
		}
	default:
		s = dnsSettings{
			Nameservers: []string{clusterDNS},
			Searches:    []string{pod.Namespace + ".svc." + zone, "svc." + zone, zone},
			Options:     []string{"ndots:5"},
		}
	}
	if c := pod.Spec.DNSConfig; c != nil {
		s.Nameservers = appendNew(s.Nameservers, c.Nameservers...)
		s.Searches = appendNew(s.Searches, c.Searches...)
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			s.Options = slices.DeleteFunc(s.Options, func(x string) bool {
				name, _, _ := strings.Cut(x, ":")
				return name == o.Name
			})
			s.Options = append(s.Options, opt)
		}
	}
	return s
}

func appendNew(list []string, more ...string) []string {
	for _, m := range more {
		if !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	return list
}

// render writes the settings in resolv.conf(5) syntax.
func (s dnsSettings) render() []byte {
	var b bytes.Buffer
	for _, ns := range s.Nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(s.Searches) > 0 {
		b.WriteString("search " + strings.Join(s.Searches, " ") + "\n")
	}
	if len(s.Options) > 0 {
		b.WriteString("options " + strings.Join(s.Options, " ") + "\n")
	}
	return b.Bytes()
}

// parseResolvConf reads the nameserver, search and options lines of a
// resolv.conf; a missing file gives empty settings.
func parseResolvConf(path string) dnsSettings {
	var s dnsSettings
	data, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			s.Nameservers = append(s.Nameservers, f[1])
		case "search", "domain":
			// The last search or domain line wins.
			s.Searches = slices.Clone(f[1:])
		case "options":
			s.Options = append(s.Options, f[1:]...)
		}
	}
	return s
}
