package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/portal-dev/portal/test/e2e/framework"
)

// TestBadInput sends invalid requests and checks each gets a clear 4xx, and
// that the server keeps serving after every one.
func TestBadInput(t *testing.T) {
	c := framework.Start(t, framework.Options{})
	cfg := c.Config()
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg.Clone()}}
	base := cfg.Host + "/api/v1/namespaces/default/configmaps"
	ctx := context.Background()
	client := c.Client()
	seed, err := client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "seed"}, Data: map[string]string{"a": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	big := strings.Repeat("x", 5<<20)
	cases := []struct {
		name        string
		method, url string
		contentType string
		body        string
		wantCode    int
		wantText    string
	}{
		{"unknown field under Strict", "POST", base + "?fieldValidation=Strict", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict"},"bogusField":1}`,
			400, `strict decoding error: unknown field "bogusField"`},
		{"unknown nested field under Strict", "POST", cfg.Host + "/api/v1/namespaces/default/services?fieldValidation=Strict", "application/json",
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"strict"},"spec":{"bogusField":1,"ports":[{"port":80}]}}`,
			400, `strict decoding error: unknown field "spec.bogusField"`},
		{"duplicate field under Strict", "POST", base + "?fieldValidation=Strict", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"}}`,
			400, `duplicate field "metadata.name"`},
		{"wrong-typed field", "POST", base, "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed"},"data":{"a":1}}`,
			400, `cannot unmarshal number into Go struct field ConfigMap.data of type string`},
		{"stale resourceVersion", "PUT", base + "/seed", "application/json",
			fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"seed","resourceVersion":"%d"},"data":{"a":"2"}}`, mustAtoi(seed.ResourceVersion)-1),
			409, `the object has been modified; please apply your changes to the latest version and try again`},
		{"5 MB body", "POST", base, "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"` + big + `"}}`,
			413, `too large`},
		{"garbage body", "POST", base, "application/json", "\x00\xff garbage {{{", 400, ``},
		{"garbage protobuf body", "POST", base, "application/vnd.kubernetes.protobuf", "k8s\x00\x0a\x05junk\xff\xff", 400, ``},
		{"unsupported media type", "POST", base, "text/csv", "a,b", 415, `the body of the request was in an unknown format`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantCode, body)
			}
			var st metav1.Status
			if err := json.Unmarshal(body, &st); err != nil || st.Kind != "Status" {
				t.Fatalf("response is not a metav1.Status: %v: %s", err, body)
			}
			if !strings.Contains(st.Message, tc.wantText) {
				t.Fatalf("message %q does not contain %q", st.Message, tc.wantText)
			}
			// Still serving, and the stored object untouched.
			got, err := client.CoreV1().ConfigMaps("default").Get(ctx, "seed", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("server not serving after bad input: %v", err)
			}
			if got.Data["a"] != "1" {
				t.Fatalf("seed changed to %v", got.Data)
			}
		})
	}
	for _, name := range []string{"strict", "dup", "dup2", "typed", "big"} {
		if _, err := client.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s was stored from a rejected request (err=%v)", name, err)
		}
	}
	// Warn (the default) answers with a warning header; Ignore drops fields.
	for _, mode := range []string{"Warn", "Ignore"} {
		req, _ := http.NewRequest("POST", base+"?fieldValidation="+mode, strings.NewReader(
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-`+strings.ToLower(mode)+`"},"bogusField":1}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		warn := resp.Header.Get("Warning")
		if resp.StatusCode != 201 {
			t.Fatalf("%s: status %d", mode, resp.StatusCode)
		}
		if mode == "Warn" && !strings.Contains(warn, `299`) || mode == "Warn" && !strings.Contains(warn, `unknown field \"bogusField\"`) {
			t.Fatalf("Warn: warning header %q", warn)
		}
		if mode == "Ignore" && warn != "" {
			t.Fatalf("Ignore: unexpected warning %q", warn)
		}
	}
}

func mustAtoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
