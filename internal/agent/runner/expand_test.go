package runner

import (
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"FOO": "foo", "BAR": "bar", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"$(FOO)", "foo"},
		{"a-$(FOO)-$(BAR)-b", "a-foo-bar-b"},
		{"$(EMPTY)x", "x"},
		{"$(UNDEFINED)", "$(UNDEFINED)"},
		{"$$(FOO)", "$(FOO)"},
		{"$$$(FOO)", "$foo"},
		{"$$$$(FOO)", "$$(FOO)"},
		{"$$", "$"},
		{"$", "$"},
		{"a$", "a$"},
		{"$FOO", "$FOO"},
		{"$(FOO", "$(FOO"},
		{"$()", "$()"},
		{"$(FOO)$(FOO)", "foofoo"},
		{"${FOO}", "${FOO}"},
		{"100$ and $(BAR)", "100$ and bar"},
	}
	for _, tt := range tests {
		if got := expand(tt.in, mapLookup(vars)); got != tt.want {
			t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestImageProgramName(t *testing.T) {
	tests := map[string]string{
		"demo":                           "demo",
		"demo:v2":                        "demo",
		"reg.io/team/demo:v2":            "demo",
		"localhost:5000/demo":            "demo",
		"localhost:5000/team/demo:1.0":   "demo",
		"demo@sha256:abcdef":             "demo",
		"reg.io/demo:v1@sha256:abcdef01": "demo",
		"nginx:1.25":                     "nginx",
	}
	for in, want := range tests {
		if got := imageProgramName(in); got != want {
			t.Errorf("imageProgramName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "tool", "exit 0")
	touch(t, dir+"/notexec")
	tests := []struct {
		file, path, dir, want, err string
	}{
		{file: "tool", path: "/nonexistent:" + dir, want: dir + "/tool"},
		{file: dir + "/tool", want: dir + "/tool"},
		{file: "./tool", dir: dir, want: dir + "/tool"},
		{file: "nope", path: dir, err: `exec: "nope": executable file not found in $PATH`},
		{file: "notexec", path: dir, err: `exec: "notexec": executable file not found in $PATH`},
		{file: dir + "/notexec", err: `exec: "` + dir + `/notexec": permission denied`},
		{file: "/nope/x", err: `exec: "/nope/x": stat /nope/x: no such file or directory`},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.file, tt.path, tt.dir)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("lookPath(%q) error = %v, want %q", tt.file, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("lookPath(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
		}
	}
}

// TestBackoff walks the kubelet's crash-loop sequence: the first restart
// is immediate, then 10s, 20s, ... up to 5m, and a run longer than 10m
// resets it.
func TestBackoff(t *testing.T) {
	const initial, max = 10 * time.Second, 5 * time.Minute
	var b backoff
	now := time.Unix(1000, 0)

	// First exit: no back-off; the restart arms it at 10s.
	if hold, _ := b.holds(now, now, max); hold {
		t.Fatal("first exit held")
	}
	b.next(now, now, initial, max)

	want := []time.Duration{10, 20, 40, 80, 160, 300, 300}
	for i, w := range want {
		finished := now.Add(time.Second) // crashed a second after the start
		hold, until := b.holds(finished, finished, max)
		if !hold || until != finished.Add(w*time.Second) {
			t.Fatalf("exit %d: hold=%v until %v, want hold until +%ds", i+2, hold, until.Sub(finished), w)
		}
		if b.delay != w*time.Second {
			t.Fatalf("exit %d: delay %v, want %ds", i+2, b.delay, w)
		}
		now = until
		if hold, _ := b.holds(finished, now, max); hold {
			t.Fatalf("exit %d: still held at expiry", i+2)
		}
		b.next(finished, now, initial, max)
	}

	// A run of more than 2×max since the last restart resets the delay.
	finished := now.Add(2*max + time.Second)
	if hold, _ := b.holds(finished, finished, max); hold {
		t.Fatal("long run still held")
	}
	b.next(finished, finished, initial, max)
	if b.delay != initial {
		t.Fatalf("delay after a long run = %v, want %v", b.delay, initial)
	}
}
