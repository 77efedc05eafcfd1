package apiserver

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func TestPKIEnsureIsStableAndCoversHosts(t *testing.T) {
	p := PKI{Dir: t.TempDir()}
	if err := p.Ensure([]string{"127.0.0.1", "localhost"}); err != nil {
		t.Fatal(err)
	}
	ca1, _ := os.ReadFile(p.CACert())
	admin1, _ := os.ReadFile(p.AdminCert())
	// A second start keeps the CA and the admin certificate, so old
	// kubeconfigs keep working.
	if err := p.Ensure([]string{"127.0.0.1", "localhost"}); err != nil {
		t.Fatal(err)
	}
	ca2, _ := os.ReadFile(p.CACert())
	admin2, _ := os.ReadFile(p.AdminCert())
	if string(ca1) != string(ca2) || string(admin1) != string(admin2) {
		t.Fatal("Ensure replaced existing certificates")
	}
	// A new SAN remakes only the serving certificate, signed by the same CA.
	if err := p.Ensure([]string{"127.0.0.1", "localhost", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if !servingCovers(p.ServingCert(), []string{"10.1.2.3", "localhost"}) {
		t.Fatal("serving certificate lacks the new SAN")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca1)
	for _, pair := range [][2]string{{p.ServingCert(), p.ServingKey()}, {p.AdminCert(), p.AdminKey()}} {
		kp, err := tls.LoadX509KeyPair(pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(kp.Certificate[0])
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("%s not signed by the CA: %v", pair[0], err)
		}
	}
}
