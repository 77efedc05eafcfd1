package apiserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is the set of certificate files in the data directory: a cluster CA,
// the API server's serving certificate and an admin client certificate for
// the kubeconfig. They are made once and kept, so a restart keeps every
// kubeconfig working.
type PKI struct {
	Dir string
}

// Paths of the files below Dir.
func (p PKI) CACert() string      { return filepath.Join(p.Dir, "ca.crt") }
func (p PKI) CAKey() string       { return filepath.Join(p.Dir, "ca.key") }
func (p PKI) ServingCert() string { return filepath.Join(p.Dir, "apiserver.crt") }
func (p PKI) ServingKey() string  { return filepath.Join(p.Dir, "apiserver.key") }
func (p PKI) AdminCert() string   { return filepath.Join(p.Dir, "admin.crt") }
func (p PKI) AdminKey() string    { return filepath.Join(p.Dir, "admin.key") }

// Ensure creates any missing file. hosts are the serving certificate's
// names and addresses; a serving certificate that lacks one is remade.
func (p PKI) Ensure(hosts []string) error {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return fmt.Errorf("pki dir: %w", err)
	}
	caCert, caKey, err := p.loadOrCreateCA()
	if err != nil {
		return err
	}
	if !servingCovers(p.ServingCert(), hosts) {
		if err := p.issue(caCert, caKey, p.ServingCert(), p.ServingKey(), "portal-apiserver", nil, hosts, x509.ExtKeyUsageServerAuth); err != nil {
			return err
		}
	}
	if _, err := os.Stat(p.AdminCert()); errors.Is(err, os.ErrNotExist) {
		if err := p.issue(caCert, caKey, p.AdminCert(), p.AdminKey(), "portal-admin", []string{"system:masters"}, nil, x509.ExtKeyUsageClientAuth); err != nil {
			return err
		}
	}
	return nil
}

func (p PKI) loadOrCreateCA() (*x509.Certificate, crypto.Signer, error) {
	if certPEM, err := os.ReadFile(p.CACert()); err == nil {
		keyPEM, err := os.ReadFile(p.CAKey())
		if err != nil {
			return nil, nil, fmt.Errorf("read ca key: %w", err)
		}
		return parsePair(certPEM, keyPEM)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "portal-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("create ca: %w", err)
	}
	if err := writePair(p.CACert(), p.CAKey(), der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func (p PKI) issue(ca *x509.Certificate, caKey crypto.Signer, certPath, keyPath, cn string, orgs, hosts []string, usage x509.ExtKeyUsage) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("issue %s: %w", cn, err)
	}
	return writePair(certPath, keyPath, der, key)
}

// servingCovers reports whether the certificate at path exists and names
// every host.
func servingCovers(path string, hosts []string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || time.Now().After(cert.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("write cert: %w", err)
	}
	return nil
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("ca: not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse ca: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse ca key: %w", err)
	}
	return cert, key, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}
