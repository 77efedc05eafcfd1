package defaults

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The image reference grammar kube-apiserver parses with
// github.com/distribution/reference (ParseNormalizedNamed) when it picks a
// default imagePullPolicy. Only the answer "which tag does this reference
// carry" matters here, but a reference that does not parse must give no tag
// at all, exactly as it does in kube, so the grammar is reproduced in full.
const (
	refAlnum      = `[a-z0-9]+`
	refSeparator  = `(?:[._]|__|[-]+)`
	refPathComp   = refAlnum + `(?:` + refSeparator + refAlnum + `)*`
	refDomainComp = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	refDomainName = refDomainComp + `(?:\.` + refDomainComp + `)*`
	refIPv6       = `\[(?:[a-fA-F0-9:]+)\]`
	refDomain     = `(?:` + refDomainName + `|` + refIPv6 + `)(?::[0-9]+)?`
	refName       = `(?:` + refDomain + `/)?` + refPathComp + `(?:/` + refPathComp + `)*`
	refTag        = `[\w][\w.-]{0,127}`
	refDigest     = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`

	// refNameMaxLength is the longest repository name (domain included)
	// the reference parser accepts.
	refNameMaxLength = 255
	dockerHubDomain  = "docker.io"
)

var (
	referenceRE  = regexp.MustCompile(`^(` + refName + `)(?::(` + refTag + `))?(?:@(` + refDigest + `))?$`)
	identifierRE = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// digestHexLen is the encoded length of each digest algorithm kube-apiserver
	// links in (crypto/sha256 and crypto/sha512); other algorithms do not parse.
	digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}
	lowerHexRE   = regexp.MustCompile(`^[a-f0-9]+$`)
)

// imageTag returns the tag kube-apiserver reads from an image reference:
// the explicit tag when there is one, "latest" when the reference carries
// neither a tag nor a digest, and "" for a digest-only reference or one that
// does not parse (kube ignores the parse error and reads the empty tag).
func imageTag(image string) string {
	if identifierRE.MatchString(image) {
		return ""
	}
	// Without a registry part docker.io is implied and the whole reference
	// is the remainder; only the lowercase check depends on the split.
	remainder := image
	if i := strings.IndexRune(image, '/'); i > -1 && looksLikeDomain(image[:i]) {
		remainder = image[i+1:]
	}
	remote := remainder
	if i := strings.IndexRune(remainder, ':'); i > -1 {
		remote = remainder[:i]
	}
	if strings.ToLower(remote) != remote {
		return ""
	}
	m := referenceRE.FindStringSubmatch(image)
	if m == nil {
		return ""
	}
	name, tag, digest := m[1], m[2], m[3]
	if len(normalizedName(name)) > refNameMaxLength {
		return ""
	}
	if digest != "" && !validDigest(digest) {
		return ""
	}
	if tag == "" && digest == "" {
		return "latest"
	}
	return tag
}

// looksLikeDomain reports whether the first path element of a reference
// names a registry rather than a repository, by the reference parser's rule.
func looksLikeDomain(first string) bool {
	return strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first
}

// normalizedName is the repository name after docker.io normalisation, whose
// length the parser limits.
func normalizedName(name string) string {
	i := strings.IndexRune(name, '/')
	if i > -1 && looksLikeDomain(name[:i]) {
		return name
	}
	if i == -1 {
		return dockerHubDomain + "/library/" + name
	}
	return dockerHubDomain + "/" + name
}

// validDigest reports whether a digest names an algorithm kube-apiserver
// supports and carries a lowercase hex value of that algorithm's length.
func validDigest(d string) bool {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return false
	}
	n, known := digestHexLen[alg]
	return known && len(hex) == n && lowerHexRE.MatchString(hex)
}

// pullPolicyFor is kube's default imagePullPolicy for an image reference:
// Always for the tag "latest" (written or implied), IfNotPresent otherwise,
// including digest references and references that do not parse.
func pullPolicyFor(image string) corev1.PullPolicy {
	if imageTag(image) == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}
