package main

import (
	"os"
	"strconv"
	"strings"
)

// CPUUse is the CPU time (seconds) spent during one phase by portal, etcd,
// this benchmark (the clients), and everything else on the machine. Other
// is what disturbed the measurement: the machine is not ours alone.
type CPUUse struct {
	Portal float64 `json:"portal"`
	Etcd   float64 `json:"etcd"`
	Bench  float64 `json:"bench"`
	Other  float64 `json:"other"`
}

// cpuMeter reads Linux's /proc; elsewhere it measures nothing.
type cpuMeter struct {
	portalPID, etcdPID int
}

type cpuSnap struct {
	ok                        bool
	portal, etcd, self, total float64
}

// userHZ is the unit of /proc CPU times; 100 on every common Linux.
const userHZ = 100

func (c cpuMeter) snap() cpuSnap {
	total, ok := busyTicks()
	if !ok {
		return cpuSnap{}
	}
	return cpuSnap{
		ok:     true,
		portal: procTicks(strconv.Itoa(c.portalPID)),
		etcd:   procTicks(strconv.Itoa(c.etcdPID)),
		self:   procTicks("self"),
		total:  total,
	}
}

// since returns the CPU used since s0, or nil when it cannot tell.
func (c cpuMeter) since(s0 cpuSnap) *CPUUse {
	s1 := c.snap()
	if !s0.ok || !s1.ok {
		return nil
	}
	u := &CPUUse{
		Portal: (s1.portal - s0.portal) / userHZ,
		Etcd:   (s1.etcd - s0.etcd) / userHZ,
		Bench:  (s1.self - s0.self) / userHZ,
	}
	u.Other = max((s1.total-s0.total)/userHZ-u.Portal-u.Etcd-u.Bench, 0)
	return u
}

// busyTicks is the machine's non-idle CPU time from /proc/stat.
func busyTicks() (float64, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy float64
	// user nice system idle iowait irq softirq steal: all but idle, iowait.
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, _ := strconv.ParseFloat(v, 64)
		busy += n
	}
	return busy, true
}

// procTicks is a process's user+system CPU time from /proc/PID/stat.
func procTicks(pid string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	// The command name may hold spaces; the fields after it are fixed.
	if j := strings.LastIndexByte(s, ')'); j >= 0 {
		s = s[j+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return u + st
}
