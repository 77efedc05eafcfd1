package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/portal-dev/portal/internal/apiserver"
)

// kubeconfigPath is where `portal up` and `portal apiserver` write the admin
// kubeconfig.
func kubeconfigPath(dataDir string) string { return filepath.Join(dataDir, "kubeconfig") }

// writeKubeconfig writes an admin kubeconfig for url, embedding the CA and
// the admin client certificate so the file works on its own.
func writeKubeconfig(pki apiserver.PKI, url, path string) error {
	ca, err := os.ReadFile(pki.CACert())
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(pki.AdminCert())
	if err != nil {
		return err
	}
	key, err := os.ReadFile(pki.AdminKey())
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["portal"] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: ca}
	cfg.AuthInfos["portal-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["portal"] = &clientcmdapi.Context{Cluster: "portal", AuthInfo: "portal-admin", Namespace: "default"}
	cfg.CurrentContext = "portal"
	return clientcmd.WriteToFile(*cfg, path)
}

func kubeconfigCommand() *cobra.Command {
	dataDir := defaultDataDir()
	var out string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print or write the admin kubeconfig of the portal running on this data directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := os.ReadFile(kubeconfigPath(dataDir))
			if err != nil {
				return fmt.Errorf("no kubeconfig in %s: is `portal up` running with --data-dir %s? (%w)", dataDir, dataDir, err)
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			return os.WriteFile(out, data, 0o600)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", dataDir, "portal's data directory (env PORTAL_DATA_DIR)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
