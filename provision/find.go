package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-version"
	install "github.com/hashicorp/hc-install"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
	"github.com/hashicorp/hc-install/src"
)

// MinTerraform is the oldest Terraform skyplan drives: 1.10 brings the S3
// backend's use_lockfile, which team/CI setups rely on.
var MinTerraform = version.Must(version.NewVersion("1.10.0"))

// FindOptions steer FindTerraform.
type FindOptions struct {
	// ExactPath is a terraform binary the user named ($SKYPLAN_TERRAFORM).
	ExactPath string
	// ExtraPaths are searched after $PATH (e.g. $SKYPLAN_HOME/bin).
	ExtraPaths []string
	// AllowDownload permits fetching a release into InstallDir when no local
	// binary fits; off by default because most machines are offline or
	// pinned, and a silent download surprises people.
	AllowDownload bool
	InstallDir    string
}

// FindTerraform returns the path of a terraform binary, local sources first
// (hc-install fs sources), then a verified release download when allowed.
func FindTerraform(ctx context.Context, opts FindOptions) (string, error) {
	constraint := version.MustConstraints(version.NewConstraint(">= " + MinTerraform.String()))
	var sources []src.Source
	if opts.ExactPath != "" {
		p, err := filepath.Abs(opts.ExactPath)
		if err != nil {
			return "", err
		}
		sources = append(sources, &fs.AnyVersion{ExactBinPath: p})
	}
	sources = append(sources, &fs.Version{
		Product:     product.Terraform,
		Constraints: constraint,
		ExtraPaths:  opts.ExtraPaths,
		Timeout:     10 * time.Second,
	})
	if opts.AllowDownload {
		if opts.InstallDir != "" {
			if err := os.MkdirAll(opts.InstallDir, 0o755); err != nil {
				return "", err
			}
		}
		sources = append(sources, &releases.LatestVersion{
			Product:     product.Terraform,
			Constraints: constraint,
			InstallDir:  opts.InstallDir,
			Timeout:     5 * time.Minute,
		})
	}
	path, err := install.NewInstaller().Ensure(ctx, sources)
	if err != nil {
		hint := "Install Terraform >= " + MinTerraform.String() + " and put it on $PATH, set SKYPLAN_TERRAFORM to its path"
		if !opts.AllowDownload {
			hint += ", or set SKYPLAN_TERRAFORM_DOWNLOAD=1 to let skyplan download it"
		}
		return "", fmt.Errorf("no usable terraform binary found (%v). %s", err, hint)
	}
	return path, nil
}
