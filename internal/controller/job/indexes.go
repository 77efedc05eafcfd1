package job

import (
	"slices"
	"strconv"
	"strings"
)

// indexSet is a set of completion indexes. It is written as kube writes
// status.completedIndexes: ascending, runs of consecutive indexes as
// "first-last" ("1,3-5,7").
type indexSet map[int]bool

// parseIndexes reads a completedIndexes string, ignoring malformed parts
// and indexes outside [0, completions).
func parseIndexes(s string, completions int32) indexSet {
	set := indexSet{}
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		first, last, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(first)
		if err != nil {
			continue
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(last); err != nil {
				continue
			}
		}
		for i := max(lo, 0); i <= hi && i < int(completions); i++ {
			set[i] = true
		}
	}
	return set
}

func (s indexSet) String() string {
	ix := make([]int, 0, len(s))
	for i := range s {
		ix = append(ix, i)
	}
	slices.Sort(ix)
	var b strings.Builder
	for k := 0; k < len(ix); {
		j := k
		for j+1 < len(ix) && ix[j+1] == ix[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ix[k]))
		if j > k {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ix[j]))
		}
		k = j + 1
	}
	return b.String()
}
