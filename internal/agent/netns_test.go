package agent

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// fakeIP records ip(8) invocations and fails those given.
type fakeIP struct {
	calls []string
	fail  map[string]string // call -> error text
}

func (f *fakeIP) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	call := name + " " + strings.Join(args, " ")
	f.calls = append(f.calls, call)
	if msg, ok := f.fail[call]; ok {
		return []byte(msg), errors.New(call + ": " + msg)
	}
	return nil, nil
}

func TestNetnsNetwork(t *testing.T) {
	const uid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	f := &fakeIP{fail: map[string]string{
		// A namespace and bridge left from a previous run are fine.
		"ip link add portal0 type bridge":  "RTNETLINK answers: File exists",
		"ip netns add portal-0a1b2c3d4e5f": `Cannot create namespace file "/var/run/netns/portal-0a1b2c3d4e5f": File exists`,
	}}
	n, err := newNetnsNetwork(netip.MustParsePrefix("10.244.1.0/24"), "", f)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	ip, path, err := n.Setup(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if ip.String() != "10.244.1.2" || path != "/var/run/netns/portal-0a1b2c3d4e5f" {
		t.Fatalf("setup = %s %s: want the first address after the gateway", ip, path)
	}
	if err := n.Teardown(context.Background(), uid); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ip link add portal0 type bridge",
		"ip addr replace 10.244.1.1/24 dev portal0",
		"ip link set portal0 up",
		"ip netns add portal-0a1b2c3d4e5f",
		"ip link add veth0a1b2c3d4e5 type veth peer name eth0 netns portal-0a1b2c3d4e5f",
		"ip link set veth0a1b2c3d4e5 master portal0 up",
		"ip -n portal-0a1b2c3d4e5f link set lo up",
		"ip -n portal-0a1b2c3d4e5f addr replace 10.244.1.2/24 dev eth0",
		"ip -n portal-0a1b2c3d4e5f link set eth0 up",
		"ip -n portal-0a1b2c3d4e5f route replace default via 10.244.1.1 dev eth0",
		"ip netns del portal-0a1b2c3d4e5f",
		"ip link del veth0a1b2c3d4e5",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ip calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	if n.Allocated() != 0 {
		t.Errorf("address not released")
	}
}

func TestNetnsNetworkErrors(t *testing.T) {
	if _, err := newNetnsNetwork(netip.MustParsePrefix("10.0.0.0/31"), "", &fakeIP{}); err == nil {
		t.Errorf("a /31 leaves no room for a bridge and pods")
	}
	f := &fakeIP{fail: map[string]string{"ip link set portal0 up": "RTNETLINK answers: Operation not permitted"}}
	n, _ := newNetnsNetwork(netip.MustParsePrefix("10.244.0.0/24"), "", f)
	if err := n.Init(context.Background()); err == nil || !strings.Contains(err.Error(), "Operation not permitted") {
		t.Errorf("Init error %v", err)
	}
	// Teardown of what is already gone succeeds.
	gone := &fakeIP{fail: map[string]string{
		"ip netns del portal-abc": `Cannot remove namespace file "/var/run/netns/portal-abc": No such file or directory`,
		"ip link del vethabc":     `Cannot find device "vethabc"`,
	}}
	n, _ = newNetnsNetwork(netip.MustParsePrefix("10.244.0.0/24"), "", gone)
	if err := n.Teardown(context.Background(), "abc"); err != nil {
		t.Errorf("teardown of nothing: %v", err)
	}
}
