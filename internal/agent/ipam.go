package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// ErrRangeFull is returned when every address of the pod range is taken.
var ErrRangeFull = errors.New("pod range is full")

// ipPool hands out pod IPs from a prefix, one per pod UID. It skips the
// prefix's network and broadcast addresses and any reserved address (the
// bridge gateway in netns mode), and hands addresses out round-robin after
// the last one given, so a released address is not reused at once (a
// stale client or conntrack entry then does not reach the next pod).
//
// The pool is persisted to a JSON file on every change, so a restarted
// agent gives its pods the addresses they had. It is safe for concurrent
// use.
type ipPool struct {
	mu       sync.Mutex
	prefix   netip.Prefix
	reserved map[netip.Addr]bool
	path     string // the JSON file; "" keeps the pool in memory
	byUID    map[types.UID]netip.Addr
	used     map[netip.Addr]types.UID
	last     netip.Addr // the address handed out last
}

// ipPoolFile is the on-disk form of an ipPool.
type ipPoolFile struct {
	Range string               `json:"range"`
	Last  string               `json:"last,omitempty"`
	Pods  map[types.UID]string `json:"pods"` // pod UID -> IP
}

// newIPPool returns the pool of prefix persisted at path (created when
// missing). Allocations from a file made with another range are kept:
// their pods keep their addresses; new ones come from prefix.
func newIPPool(prefix netip.Prefix, path string, reserved ...netip.Addr) (*ipPool, error) {
	p := &ipPool{
		prefix:   prefix.Masked(),
		reserved: map[netip.Addr]bool{},
		path:     path,
		byUID:    map[types.UID]netip.Addr{},
		used:     map[netip.Addr]types.UID{},
	}
	for _, a := range reserved {
		p.reserved[a] = true
	}
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pod IPs: %w", err)
	}
	var f ipPoolFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("pod IPs: %s: %w", path, err)
	}
	for uid, s := range f.Pods {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("pod IPs: %s: pod %s: %w", path, uid, err)
		}
		p.byUID[uid] = a
		p.used[a] = uid
	}
	if a, err := netip.ParseAddr(f.Last); err == nil && p.prefix.Contains(a) {
		p.last = a
	}
	return p, nil
}

// Allocate returns uid's address, allocating one if it has none.
func (p *ipPool) Allocate(uid types.UID) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.byUID[uid]; ok {
		return a, nil
	}
	first, lastAddr := p.bounds()
	if !first.IsValid() {
		return netip.Addr{}, fmt.Errorf("%s: %w", p.prefix, ErrRangeFull)
	}
	start := first
	if p.last.IsValid() && p.last.Less(lastAddr) && !p.last.Less(first) {
		start = p.last.Next()
	}
	a := start
	for {
		if _, taken := p.used[a]; !taken && !p.reserved[a] {
			break
		}
		a = a.Next()
		if !a.IsValid() || lastAddr.Less(a) {
			a = first
		}
		if a == start {
			return netip.Addr{}, fmt.Errorf("%s: %w", p.prefix, ErrRangeFull)
		}
	}
	p.byUID[uid] = a
	p.used[a] = uid
	p.last = a
	if err := p.saveLocked(); err != nil {
		delete(p.byUID, uid)
		delete(p.used, a)
		return netip.Addr{}, err
	}
	return a, nil
}

// Get returns uid's address, if it has one.
func (p *ipPool) Get(uid types.UID) (netip.Addr, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.byUID[uid]
	return a, ok
}

// Release frees uid's address; releasing an unknown uid is a no-op.
func (p *ipPool) Release(uid types.UID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.byUID[uid]
	if !ok {
		return nil
	}
	delete(p.byUID, uid)
	delete(p.used, a)
	return p.saveLocked()
}

// UIDs returns the pods holding an address.
func (p *ipPool) UIDs() []types.UID {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]types.UID, 0, len(p.byUID))
	for uid := range p.byUID {
		out = append(out, uid)
	}
	return out
}

// Len is the number of allocated addresses.
func (p *ipPool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byUID)
}

// bounds returns the first and last assignable address of the prefix: not
// the network address nor, for IPv4 prefixes shorter than /31, the
// broadcast address.
func (p *ipPool) bounds() (first, last netip.Addr) {
	base := p.prefix.Addr()
	bits := base.BitLen() - p.prefix.Bits()
	last = base
	// The last address: the base with every host bit set.
	b := last.AsSlice()
	for i := 0; i < bits; i++ {
		b[len(b)-1-i/8] |= 1 << (i % 8)
	}
	last, _ = netip.AddrFromSlice(b)
	if base.Is4() {
		last = last.Unmap()
	}
	first = base
	if bits >= 2 {
		first = base.Next()
		if base.Is4() {
			last = last.Prev()
		}
	}
	return first, last
}

func (p *ipPool) saveLocked() error {
	if p.path == "" {
		return nil
	}
	f := ipPoolFile{Range: p.prefix.String(), Pods: map[types.UID]string{}}
	if p.last.IsValid() {
		f.Last = p.last.String()
	}
	for uid, a := range p.byUID {
		f.Pods[uid] = a.String()
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(p.path, data, 0o600)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so a crash leaves the old or the new content, never half.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
