#!/usr/bin/env bash
# Regenerates internal/apiserver/openapi/zz_generated.openapi.go, the OpenAPI
# definitions that portal's API server serves on /openapi/v2 and /openapi/v3.
#
# The generator is k8s.io/kube-openapi/cmd/openapi-gen at exactly the
# k8s.io/kube-openapi version that go.mod resolves (the one k8s.io/apiserver
# requires), so the output changes only when go.mod does. The input types are
# those of the k8s.io/api and k8s.io/apimachinery versions in go.mod.
#
# Usage: hack/update-openapi.sh
#   OPENAPI_REPORT=<file>  write openapi-gen's API rule violations there
#                          (default /dev/null; do not commit the report).
#   OPENAPI_VERBOSE=<n>    openapi-gen log level (default 0).
set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

MODULE="$(go list -m -f '{{.Path}}')"
OUT_DIR="internal/apiserver/openapi"
OUT_PKG="${MODULE}/${OUT_DIR}"
OUT_FILE="zz_generated.openapi.go"
REPORT="${OPENAPI_REPORT:-/dev/null}"

KUBE_OPENAPI_VERSION="$(go list -m -f '{{.Version}}' k8s.io/kube-openapi)"
if [[ -z "${KUBE_OPENAPI_VERSION}" ]]; then
	echo "update-openapi: cannot resolve k8s.io/kube-openapi from go.mod" >&2
	exit 1
fi

# The API types portal serves, plus every package they reference. The closure
# is checked by TestDefinitionClosure in internal/apiserver/openapi: when a new
# group is added here and a reference dangles, add the referenced package.
INPUTS=(
	k8s.io/apimachinery/pkg/apis/meta/v1
	k8s.io/apimachinery/pkg/apis/meta/v1beta1
	k8s.io/apimachinery/pkg/runtime
	k8s.io/apimachinery/pkg/util/intstr
	k8s.io/apimachinery/pkg/api/resource
	k8s.io/apimachinery/pkg/version
	k8s.io/api/core/v1
	k8s.io/api/apps/v1
	k8s.io/api/apps/v1beta1
	k8s.io/api/apps/v1beta2
	k8s.io/api/batch/v1
	k8s.io/api/batch/v1beta1
	k8s.io/api/discovery/v1
	k8s.io/api/discovery/v1beta1
	k8s.io/api/networking/v1
	k8s.io/api/networking/v1beta1
	k8s.io/api/extensions/v1beta1
	k8s.io/api/coordination/v1
	k8s.io/api/autoscaling/v1
	k8s.io/api/policy/v1
	k8s.io/api/scheduling/v1alpha3 # batch/v1 JobSpec refers to its Workload types
	k8s.io/api/authentication/v1
)

# k8s.io/api and k8s.io/apimachinery already ship zz_generated.model_name.go
# (OpenAPIModelName methods, names like io.k8s.api.core.v1.Service), and their
# packages carry +k8s:openapi-model-package, so openapi-gen keys definitions by
# those names on its own. No --output-model-name-file: nothing is written
# outside OUT_DIR (the inputs live in the read-only module cache).
rm -f "${OUT_DIR}/${OUT_FILE}"
go run "k8s.io/kube-openapi/cmd/openapi-gen@${KUBE_OPENAPI_VERSION}" \
	-v "${OPENAPI_VERBOSE:-0}" \
	--output-dir "${OUT_DIR}" \
	--output-pkg "${OUT_PKG}" \
	--output-file "${OUT_FILE}" \
	--report-filename "${REPORT}" \
	"${INPUTS[@]}"

gofmt -l -w "${OUT_DIR}/${OUT_FILE}" >/dev/null
echo "update-openapi: wrote ${OUT_DIR}/${OUT_FILE} with openapi-gen ${KUBE_OPENAPI_VERSION}"
